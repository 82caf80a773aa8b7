package dev.ortho.core.eval;

/**
 * The filters of direction selection (METHOD.md §2.4).
 *
 * @param numLayers         L, the model's decoder layers
 * @param pruneFraction     late-layer fraction: layers l ≥ int(L·(1 − pruneFraction)) are discarded (paper 0.2)
 * @param klThreshold       kl_score above this is discarded; equal is kept (paper 0.1)
 * @param induceThreshold   induce_score below this is discarded; equal is kept (paper 0.0)
 */
public record SelectionCriteria(int numLayers, double pruneFraction, double klThreshold, double induceThreshold) {

    public SelectionCriteria {
        if (numLayers <= 0) throw new IllegalArgumentException("numLayers must be positive: " + numLayers);
        if (!(pruneFraction >= 0 && pruneFraction < 1)) throw new IllegalArgumentException("pruneFraction must be in [0, 1): " + pruneFraction);
        if (Double.isNaN(klThreshold) || Double.isNaN(induceThreshold)) throw new IllegalArgumentException("thresholds must not be NaN");
    }

    /** The reference code's values: prune 0.2, KL 0.1, induce 0.0. */
    public static SelectionCriteria paper(int numLayers) {
        return new SelectionCriteria(numLayers, 0.2, 0.1, 0.0);
    }

    /**
     * First discarded layer, {@code int(L * (1 - 0.2))} evaluated in double exactly as Python does (§2.4.2):
     * 1 − 0.2 rounds to the double 0.8, and the product is truncated toward zero. L = 8 gives 6.
     */
    public int maxLayerExclusive() {
        return (int) (numLayers * (1 - pruneFraction));
    }
}
