package dev.ortho.core.eval;

import java.util.List;

/** A candidate's scores and the filters it failed (empty: it survived). */
public record EvaluatedCandidate(CandidateScores scores, List<FilterReason> reasons, List<String> reasonLabels) {

    public EvaluatedCandidate {
        reasons = List.copyOf(reasons);
        reasonLabels = List.copyOf(reasonLabels);
    }

    public boolean survived() { return reasons.isEmpty(); }

    public Candidate candidate() { return scores.candidate(); }
}
