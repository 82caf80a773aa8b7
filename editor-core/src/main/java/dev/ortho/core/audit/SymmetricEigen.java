package dev.ortho.core.audit;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Eigen-decomposition of a small dense symmetric matrix by cyclic Jacobi rotations, in float64: used for the
 * Rayleigh-Ritz step of {@link SubspaceIteration} (k x k with k at most a few dozen), where Jacobi is exact to
 * rounding and simple enough to trust.
 *
 * @param values  eigenvalues, largest first
 * @param vectors eigenvectors as columns, row-major {@code vectors[i * n + c]}
 */
public record SymmetricEigen(double[] values, double[] vectors) {

    private static final int MAX_SWEEPS = 100;

    public static SymmetricEigen of(double[] matrix, int n) {
        double[] a = matrix.clone();
        double[] v = new double[n * n];
        for (int i = 0; i < n; i++) v[i * n + i] = 1;
        for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
            double off = 0, diag = 0;
            for (int p = 0; p < n; p++) {
                diag += a[p * n + p] * a[p * n + p];
                for (int q = p + 1; q < n; q++) off += a[p * n + q] * a[p * n + q];
            }
            if (off == 0 || off <= 1e-32 * diag) break;
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    double apq = a[p * n + q];
                    if (apq == 0) continue;
                    double app = a[p * n + p], aqq = a[q * n + q];
                    double theta = (aqq - app) / (2 * apq);
                    double t = Math.signum(theta == 0 ? 1 : theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    double c = 1 / Math.sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < n; k++) {
                        double akp = a[k * n + p], akq = a[k * n + q];
                        a[k * n + p] = c * akp - s * akq;
                        a[k * n + q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < n; k++) {
                        double apk = a[p * n + k], aqk = a[q * n + k];
                        a[p * n + k] = c * apk - s * aqk;
                        a[q * n + k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < n; k++) {
                        double vkp = v[k * n + p], vkq = v[k * n + q];
                        v[k * n + p] = c * vkp - s * vkq;
                        v[k * n + q] = s * vkp + c * vkq;
                    }
                }
            }
        }
        final double[] diagonal = new double[n];
        for (int i = 0; i < n; i++) diagonal[i] = a[i * n + i];
        // Largest first; ties by index, so the order is deterministic.
        Integer[] order = IntStream.range(0, n).boxed().sorted(Comparator.<Integer>comparingDouble(i -> -diagonal[i])
                .thenComparingInt(i -> i)).toArray(Integer[]::new);
        double[] values = new double[n];
        double[] vectors = new double[n * n];
        for (int c = 0; c < n; c++) {
            values[c] = diagonal[order[c]];
            for (int i = 0; i < n; i++) vectors[i * n + c] = v[i * n + order[c]];
        }
        return new SymmetricEigen(values, vectors);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SymmetricEigen e && Arrays.equals(values, e.values) && Arrays.equals(vectors, e.vectors);
    }

    @Override
    public int hashCode() { return Arrays.hashCode(values); }
}
