package dev.ortho.core.eval;

import dev.ortho.formats.InvalidInputException;

/**
 * Every candidate was filtered out (the reference code's assertion "All scores have been filtered out!").
 * It carries the whole evaluation, so that callers can still write the table, and a diagnosis that says in
 * plain words what happened and what to try next. Exit code 2: with the given settings nothing can be done.
 */
public final class NoSurvivingCandidateException extends InvalidInputException {

    private static final long serialVersionUID = 1L;

    private final transient CandidateEvaluation evaluation;
    private final transient SelectionDiagnosis diagnosis;

    public NoSurvivingCandidateException(CandidateEvaluation evaluation, SelectionDiagnosis diagnosis) {
        super(diagnosis.summary());
        this.evaluation = evaluation;
        this.diagnosis = diagnosis;
    }

    public CandidateEvaluation evaluation() { return evaluation; }

    public SelectionDiagnosis diagnosis() { return diagnosis; }
}
