package dev.ortho.core.pipeline;

import dev.ortho.core.direction.CandidateDirections;

/**
 * Result of {@link DirectionExtractor}: the candidate directions and which training prompts made them.
 *
 * @param candidates      r_i^(l), float64, [n_eoi, L, hidden] (METHOD.md §1)
 * @param harmfulScores   baseline refusal score of every harmful training prompt, in file order (§2.2)
 * @param harmlessScores  same for the harmless prompts
 * @param keptHarmful     indices of the harmful prompts that entered the mean (score > 0, or all when unfiltered)
 * @param keptHarmless    indices of the harmless prompts that entered the mean (score < 0, or all)
 * @param harmlessMeans   ν_i^(l), the harmless mean, float64 [n_eoi, L, hidden] (for {@code --biproject}), or null
 */
public record Extraction(CandidateDirections candidates, double[] harmfulScores, double[] harmlessScores,
                         int[] keptHarmful, int[] keptHarmless, double[] harmlessMeans) {

    public Extraction(CandidateDirections candidates, double[] harmfulScores, double[] harmlessScores,
                      int[] keptHarmful, int[] keptHarmless) {
        this(candidates, harmfulScores, harmlessScores, keptHarmful, keptHarmless, null);
    }

    public Extraction {
        harmlessMeans = harmlessMeans == null ? null : harmlessMeans.clone();
        harmfulScores = harmfulScores.clone();
        harmlessScores = harmlessScores.clone();
        keptHarmful = keptHarmful.clone();
        keptHarmless = keptHarmless.clone();
    }

    @Override public double[] harmfulScores() { return harmfulScores.clone(); }
    @Override public double[] harmlessScores() { return harmlessScores.clone(); }
    @Override public int[] keptHarmful() { return keptHarmful.clone(); }
    @Override public int[] keptHarmless() { return keptHarmless.clone(); }
    @Override public double[] harmlessMeans() { return harmlessMeans == null ? null : harmlessMeans.clone(); }
}
