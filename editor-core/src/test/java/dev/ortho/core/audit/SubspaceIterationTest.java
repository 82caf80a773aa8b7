package dev.ortho.core.audit;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The eigen-solvers against a matrix built from known eigenpairs. */
class SubspaceIterationTest {

    /** A = Q diag(lambda) Q^T with a random orthonormal Q (Gram-Schmidt of Gaussian columns). */
    static double[][] known(int n, double[] lambda, long seed) {
        double[] q = new double[n * n];
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < q.length; i++) q[i] = rnd.nextGaussian();
        SubspaceIteration.orthonormalize(q, n, n, rnd);
        double[] a = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int c = 0; c < n; c++) s += q[i * n + c] * lambda[c] * q[j * n + c];
                a[i * n + j] = s;
            }
        return new double[][]{a, q};
    }

    @Test
    void jacobiAndSubspaceIterationFindTheKnownPairs() {
        int n = 40;
        double[] lambda = new double[n];
        for (int i = 0; i < n; i++) lambda[i] = Math.pow(0.7, i); // decreasing, separated
        double[][] aq = known(n, lambda, 9);
        double[] a = aq[0], q = aq[1];

        SymmetricEigen e = SymmetricEigen.of(a, n);
        for (int i = 0; i < n; i++) assertEquals(lambda[i], e.values()[i], 1e-12, "jacobi " + i);

        SubspaceIteration.Result r = SubspaceIteration.top((x, k) -> {
            double[] y = new double[n * k];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    for (int c = 0; c < k; c++) y[i * k + c] += a[i * n + j] * x[j * k + c];
            return y;
        }, n, 12, 4, 500, () -> 0);
        assertTrue(r.converged());
        for (int i = 0; i < 4; i++) {
            assertEquals(lambda[i], r.values()[i], 1e-10, "value " + i);
            double cos = 0;
            for (int j = 0; j < n; j++) cos += r.vectors()[j * r.k() + i] * q[j * n + i];
            assertEquals(1, Math.abs(cos), 1e-9, "vector " + i);
        }
    }

    @Test
    void rankDeficientOperatorIsExactAfterOneRound() {
        int n = 50;
        double[] lambda = new double[n];
        lambda[0] = 3;
        lambda[1] = 1;
        double[] a = known(n, lambda, 4)[0];
        SubspaceIteration.Result r = SubspaceIteration.top((x, k) -> {
            double[] y = new double[n * k];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    for (int c = 0; c < k; c++) y[i * k + c] += a[i * n + j] * x[j * k + c];
            return y;
        }, n, 8, 4, 50, () -> 0);
        assertTrue(r.converged());
        assertTrue(r.rounds() <= 3, "rounds " + r.rounds());
        assertEquals(3, r.values()[0], 1e-12);
        assertEquals(1, r.values()[1], 1e-12);
        assertEquals(0, r.values()[2], 1e-12);
    }
}
