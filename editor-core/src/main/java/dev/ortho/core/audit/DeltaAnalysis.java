package dev.ortho.core.audit;

import java.util.List;

/**
 * The numeric audit of one changed tensor: the spectrum of its delta dW = W' - W in its vector space (the
 * hidden space for residual writers), whether dW is a projection along one direction, and how the norms of
 * its vectors changed.
 *
 * @param space             "hidden" for residual writers (their write vectors), else the axis used
 * @param dim               length of one vector
 * @param vectors           number of vectors (write vectors for writers)
 * @param changedVectors    vectors with at least one element changed
 * @param deltaNorm         ||dW||_F
 * @param relativeDelta     ||dW||_F / ||W||_F
 * @param roundingBound     sqrt(sum over elements of (ulp(w')/2)^2): the largest ||dW|| a rounding of W' alone explains
 * @param singularValues    leading singular values of dW (at most 16), largest first
 * @param shares            share of ||dW||^2 in the top 1, 2, 4 and 16 singular values
 * @param effectiveRank     singular values needed until what is left is within the rounding bound; null when
 *                          more than {@code rankLimit} are needed (0: the change is rounding only)
 * @param rankLimit         how many singular values were computed
 * @param spectrumConverged whether the subspace iteration met its tolerances
 * @param spectrumRounds    passes of the subspace iteration (each one read of both tensors)
 * @param projection        the fit dW = -alpha r (r^T W) with r the top singular direction; null without a delta
 * @param vectorNorms       change of the norms of the vectors (write vectors: columns of [hidden, in], rows of embeddings)
 * @param coordinateNorms   change of the norms across the other axis (rows of [hidden, in], columns of embeddings)
 * @param normPreserving    every vector kept its norm within the rounding of its dtype while the edit removed a
 *                          component: a norm-preserving edit
 */
public record DeltaAnalysis(String space, int dim, long vectors, long changedVectors, double deltaNorm, double relativeDelta,
                            double roundingBound, List<Double> singularValues, EnergyShares shares, Integer effectiveRank,
                            int rankLimit, boolean spectrumConverged, int spectrumRounds, ProjectionFit projection, NormChange vectorNorms,
                            NormChange coordinateNorms, boolean normPreserving) {

    public DeltaAnalysis {
        singularValues = List.copyOf(singularValues);
    }

    /** Share of ||dW||^2 in the top 1, 2, 4 and 16 singular values. */
    public record EnergyShares(double top1, double top2, double top4, double top16) {}

    /**
     * The best fit of dW = -alpha r (r^T W) (columns; rows: dW = -alpha (W r) r^T), r the top singular direction.
     *
     * @param projection       whether the residual is within the rounding bound of W'
     * @param alpha            the fitted strength (1 for a plain orthogonalization)
     * @param relativeResidual ||dW - fit|| / ||dW||
     * @param relativeBound    the rounding bound / ||dW||
     */
    public record ProjectionFit(boolean projection, double alpha, double relativeResidual, double relativeBound) {}

    /**
     * Relative changes of vector norms, (|v'| - |v|) / |v|, over vectors with |v| > 0.
     *
     * @param maxAbsolute largest |relative change|
     * @param mean        mean relative change (for vector norms: less the expected effect of rounding)
     * @param rms         root mean square relative change
     */
    public record NormChange(double maxAbsolute, double mean, double rms) {}
}
