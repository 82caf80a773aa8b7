package dev.ortho.core.audit;

import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

/**
 * The top eigenpairs of a symmetric positive semi-definite operator A ({@code dim x dim}) given only as
 * X -> A X, by block subspace iteration with a Rayleigh-Ritz step each round. For a Gram matrix
 * A = dW dW^T applied by streaming over dW this never forms A: one round costs one pass over the tensor
 * and 4 * elements * k flops, where forming A would cost elements * dim. Edits of low rank (a projection,
 * a LoRA delta of rank at most k) are exact after the first round and confirmed by the second.
 *
 * <p>Deterministic: the start block comes from a fixed seed.
 */
public final class SubspaceIteration {

    /** Stop when the top eigenvalues move by less than this, relative to the largest. */
    static final double VALUE_TOLERANCE = 1e-11;
    /** ... and the top eigenvector by less than this in 1 - |cos|. */
    static final double VECTOR_TOLERANCE = 1e-14;
    /** The top eigenvector must converge when the second eigenvalue is below this share of the first. */
    static final double SEPARATED = 0.5;
    private static final long SEED = 0x5eed_0f_0a7d17L;

    /** X [dim x k] row-major to A X, same shape. */
    @FunctionalInterface
    public interface Operator {
        double[] apply(double[] x, int k);
    }

    /**
     * @param values    Ritz values, largest first (k of them)
     * @param vectors   Ritz vectors, {@code vectors[i * k + c]} is component i of vector c
     * @param k         number of pairs
     * @param rounds    operator applications used
     * @param converged whether the tolerances were met within the round limit
     */
    public record Result(double[] values, double[] vectors, int k, int rounds, boolean converged) {

        public double[] vector(int c) {
            int dim = vectors.length / k;
            double[] v = new double[dim];
            for (int i = 0; i < dim; i++) v[i] = vectors[i * k + c];
            return v;
        }
    }

    private SubspaceIteration() {}

    /**
     * @param watched           how many of the top eigenvalues must converge (at most k)
     * @param absoluteTolerance eigenvalue changes below this always count as converged (asked after the first
     *                          round): what the caller needs to resolve, e.g. a share of the trace, so that a flat
     *                          spectrum of rounding noise below it does not have to converge
     */
    public static Result top(Operator op, int dim, int k, int watched, int maxRounds, DoubleSupplier absoluteTolerance) {
        k = Math.min(k, dim);
        watched = Math.min(watched, k);
        SplittableRandom rnd = new SplittableRandom(SEED);
        double[] x = new double[dim * k];
        if (k == dim) {
            for (int i = 0; i < dim; i++) x[i * k + i] = 1; // the whole space: one round is exact
        } else {
            for (int i = 0; i < x.length; i++) x[i] = rnd.nextGaussian();
            orthonormalize(x, dim, k, rnd);
        }
        double[] prevValues = null, prevTop = null;
        for (int round = 1; ; round++) {
            double[] y = op.apply(x, k);
            double[] h = new double[k * k];
            // H = X^T A X, symmetrized: A is symmetric, so x_a.(A x_b) and x_b.(A x_a) differ by rounding only.
            for (int a = 0; a < k; a++) {
                for (int b = 0; b < k; b++) {
                    double s = 0;
                    for (int i = 0; i < dim; i++) s += x[i * k + a] * y[i * k + b];
                    h[a * k + b] = s;
                }
            }
            for (int a = 0; a < k; a++) {
                for (int b = a + 1; b < k; b++) {
                    double m = 0.5 * (h[a * k + b] + h[b * k + a]);
                    h[a * k + b] = m;
                    h[b * k + a] = m;
                }
            }
            SymmetricEigen e = SymmetricEigen.of(h, k);
            double[] ritz = multiply(x, e.vectors(), dim, k);
            double[] values = e.values().clone();
            for (int c = 0; c < k; c++) values[c] = Math.max(0, values[c]); // PSD: negatives are rounding
            double[] top = column(ritz, dim, k, 0);
            boolean converged = k == dim || converged(values, prevValues, top, prevTop, watched, absoluteTolerance.getAsDouble());
            if (converged || round >= maxRounds) {
                canonicalSigns(ritz, dim, k);
                return new Result(values, ritz, k, round, converged);
            }
            prevValues = values;
            prevTop = top;
            x = multiply(y, e.vectors(), dim, k);
            orthonormalize(x, dim, k, rnd);
        }
    }

    private static boolean converged(double[] values, double[] prev, double[] top, double[] prevTop, int watched, double absolute) {
        if (prev == null) return false;
        double scale = values[0];
        if (scale == 0) return true;
        for (int c = 0; c < watched; c++) {
            if (Math.abs(values[c] - prev[c]) > Math.max(VALUE_TOLERANCE * scale, absolute)) return false;
        }
        // The top vector is only defined (and only converges quickly) when it stands clear of the second.
        boolean separated = values.length < 2 || values[1] < SEPARATED * values[0];
        return !separated || 1 - Math.abs(dot(top, prevTop)) <= VECTOR_TOLERANCE;
    }

    /** Modified Gram-Schmidt, twice (stable to rounding); a vanished column is replaced by a fresh random one. */
    static void orthonormalize(double[] x, int dim, int k, SplittableRandom rnd) {
        for (int c = 0; c < k; c++) {
            for (int attempt = 0; ; attempt++) {
                double before = norm(x, dim, k, c);
                for (int pass = 0; pass < 2; pass++) {
                    for (int p = 0; p < c; p++) {
                        double s = 0;
                        for (int i = 0; i < dim; i++) s += x[i * k + p] * x[i * k + c];
                        for (int i = 0; i < dim; i++) x[i * k + c] -= s * x[i * k + p];
                    }
                }
                double after = norm(x, dim, k, c);
                if (after > 1e-10 * before && after > 0 && Double.isFinite(after)) {
                    for (int i = 0; i < dim; i++) x[i * k + c] /= after;
                    break;
                }
                if (attempt > 8) throw new IllegalStateException("cannot complete an orthonormal basis of dimension " + dim);
                for (int i = 0; i < dim; i++) x[i * k + c] = rnd.nextGaussian();
            }
        }
    }

    /** Each vector's largest-magnitude component made positive (the first on ties): eigenvectors have no sign. */
    static void canonicalSigns(double[] v, int dim, int k) {
        for (int c = 0; c < k; c++) {
            int best = 0;
            for (int i = 1; i < dim; i++) if (Math.abs(v[i * k + c]) > Math.abs(v[best * k + c])) best = i;
            if (v[best * k + c] < 0) for (int i = 0; i < dim; i++) v[i * k + c] = -v[i * k + c];
        }
    }

    private static double[] multiply(double[] x, double[] s, int dim, int k) {
        double[] out = new double[dim * k];
        for (int i = 0; i < dim; i++) {
            for (int a = 0; a < k; a++) {
                double xia = x[i * k + a];
                if (xia == 0) continue;
                for (int c = 0; c < k; c++) out[i * k + c] += xia * s[a * k + c];
            }
        }
        return out;
    }

    private static double[] column(double[] x, int dim, int k, int c) {
        double[] v = new double[dim];
        for (int i = 0; i < dim; i++) v[i] = x[i * k + c];
        return v;
    }

    private static double norm(double[] x, int dim, int k, int c) {
        double s = 0;
        for (int i = 0; i < dim; i++) s += x[i * k + c] * x[i * k + c];
        return Math.sqrt(s);
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
