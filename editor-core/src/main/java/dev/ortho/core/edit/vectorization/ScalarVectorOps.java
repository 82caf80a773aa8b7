package dev.ortho.core.edit.vectorization;

/** Plain-Java reference implementation; also the fallback when jdk.incubator.vector is absent. */
final class ScalarVectorOps implements VectorOps {

    @Override
    public double dot(double[] a, double[] b, int n) {
        double a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        int i = 0;
        for (int bound = n - (n % DOT_LANES); i < bound; i += DOT_LANES) {
            a0 = Math.fma(a[i], b[i], a0);
            a1 = Math.fma(a[i + 1], b[i + 1], a1);
            a2 = Math.fma(a[i + 2], b[i + 2], a2);
            a3 = Math.fma(a[i + 3], b[i + 3], a3);
            a4 = Math.fma(a[i + 4], b[i + 4], a4);
            a5 = Math.fma(a[i + 5], b[i + 5], a5);
            a6 = Math.fma(a[i + 6], b[i + 6], a6);
            a7 = Math.fma(a[i + 7], b[i + 7], a7);
        }
        // The tail continues the same interleaving, so lane k still owns exactly the i ≡ k (mod 8).
        double[] acc = {a0, a1, a2, a3, a4, a5, a6, a7};
        for (; i < n; i++) acc[i % DOT_LANES] = Math.fma(a[i], b[i], acc[i % DOT_LANES]);
        return VectorOps.combine(acc[0], acc[1], acc[2], acc[3], acc[4], acc[5], acc[6], acc[7]);
    }

    @Override
    public void subtractScaled(double[] x, double s, double[] y, int n) {
        for (int i = 0; i < n; i++) {
            double p = s * y[i];
            x[i] = x[i] - p;
        }
    }

    @Override
    public void accumulateScaled(double[] acc, double s, double[] x, int n) {
        for (int i = 0; i < n; i++) acc[i] = Math.fma(s, x[i], acc[i]);
    }

    @Override
    public void accumulateProducts(double[] acc, double[] x, double[] y, int n) {
        for (int i = 0; i < n; i++) acc[i] = Math.fma(x[i], y[i], acc[i]);
    }

    @Override
    public String name() { return "scalar"; }
}
