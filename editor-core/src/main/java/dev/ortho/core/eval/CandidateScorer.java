package dev.ortho.core.eval;

import java.util.ArrayList;
import java.util.List;

/**
 * The seam to a model runtime: scores one candidate direction (raw, unnormalized r; the runtime normalizes it
 * for ablation and adds it raw for activation addition, METHOD.md §3). {@link CandidateScoring} turns the
 * runtime's logits into the scores.
 *
 * <p>A runtime that can evaluate several candidates in one pass overrides {@link #scoreBatch} and
 * {@link #batchCapacity}; {@link DirectionSelector#scoreAll} hands it candidates in chunks of that size.
 */
@FunctionalInterface
public interface CandidateScorer {
    CandidateScores score(Candidate candidate, double[] rawDirection);

    /** Scores of {@code candidates} (with their raw directions, same order), in that order. */
    default List<CandidateScores> scoreBatch(List<Candidate> candidates, List<double[]> rawDirections) {
        if (candidates.size() != rawDirections.size())
            throw new IllegalArgumentException(candidates.size() + " candidates, " + rawDirections.size() + " directions");
        List<CandidateScores> out = new ArrayList<>(candidates.size());
        for (int i = 0; i < candidates.size(); i++) out.add(score(candidates.get(i), rawDirections.get(i)));
        return out;
    }

    /** How many candidates {@link #scoreBatch} evaluates well at once (1: one at a time). */
    default int batchCapacity() { return 1; }
}
