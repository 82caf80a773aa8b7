package dev.ortho.core.eval;

import java.util.List;

/**
 * Outcome of direction selection.
 *
 * @param selected  the survivor with the lowest bypass score
 * @param survivors survivors sorted by bypass score, ascending (the paper's {@code direction_evaluations_filtered.json})
 * @param evaluated every candidate in the paper's order with its filter verdicts ({@code direction_evaluations.json})
 */
public record Selection(CandidateScores selected, List<CandidateScores> survivors, List<EvaluatedCandidate> evaluated) {

    public Selection {
        survivors = List.copyOf(survivors);
        evaluated = List.copyOf(evaluated);
    }
}
