package dev.ortho.core.direction;

/**
 * Difference in means between harmful and harmless activations (METHOD.md §1): feed each set's prompts'
 * residual activations at the post-instruction positions of every layer's {@code resid_pre} (the input of
 * decoder block l, layer 0 being the embedding), then take {@link #candidates()}.
 */
public final class MeanDifference {

    private final ActivationMeans harmful;
    private final ActivationMeans harmless;

    public MeanDifference(int positions, int layers, int hidden) {
        this.harmful = new ActivationMeans(positions, layers, hidden);
        this.harmless = new ActivationMeans(positions, layers, hidden);
    }

    /** μ: the harmful set's accumulator (prompt indices are indices into the filtered harmful train list). */
    public ActivationMeans harmful() { return harmful; }

    /** ν: the harmless set's accumulator. */
    public ActivationMeans harmless() { return harmless; }

    /** r_i^(l) = μ_i^(l) − ν_i^(l) for every position and layer, float64, not normalized. */
    public CandidateDirections candidates() {
        double[] mu = harmful.mean();
        double[] nu = harmless.mean();
        double[] r = new double[mu.length];
        for (int i = 0; i < r.length; i++) r[i] = mu[i] - nu[i];
        return new CandidateDirections(harmful.positions(), harmful.layers(), harmful.hidden(), r);
    }
}
