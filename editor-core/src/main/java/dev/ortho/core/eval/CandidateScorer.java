package dev.ortho.core.eval;

/**
 * The seam to a model runtime: scores one candidate direction (raw, unnormalized r; the runtime normalizes it
 * for ablation and adds it raw for activation addition, METHOD.md §3). {@link CandidateScoring} turns the
 * runtime's logits into the scores.
 */
@FunctionalInterface
public interface CandidateScorer {
    CandidateScores score(Candidate candidate, double[] rawDirection);
}
