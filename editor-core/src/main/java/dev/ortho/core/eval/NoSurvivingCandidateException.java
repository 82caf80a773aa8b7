package dev.ortho.core.eval;

import dev.ortho.formats.InvalidInputException;

/**
 * Every candidate was filtered out (the reference code's assertion "All scores have been filtered out!").
 * In practice the inputs are at fault: a wrong chat template or wrong refusal tokens leave the model's
 * baseline refusal scores meaningless (METHOD.md §10, issue #4), hence exit code 2 like other bad input.
 */
public final class NoSurvivingCandidateException extends InvalidInputException {

    private static final long serialVersionUID = 1L;

    public NoSurvivingCandidateException(String problem) {
        super(problem);
    }
}
