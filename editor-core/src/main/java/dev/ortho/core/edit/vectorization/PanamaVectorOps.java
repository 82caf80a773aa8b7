package dev.ortho.core.edit.vectorization;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API implementation. Loaded reflectively by {@link VectorOpsProvider} only when the
 * incubator module is present, so the rest of Ortho never links against it.
 *
 * <p>The dot product keeps eight interleaved accumulators whatever the hardware width: one
 * 512-bit vector, two 256-bit vectors or four 128-bit ones, so that lane k always sums the
 * elements i ≡ k (mod 8), exactly as {@link ScalarVectorOps} does.
 */
final class PanamaVectorOps implements VectorOps {

    // Static final, not an instance field: C2 intrinsifies Vector API calls only when the species
    // is a compile-time constant. With a per-instance species every operation fell back to Java
    // code that allocates a double[] per vector (measured: 88 % of all allocation, 1.3 GB of heap
    // churned during a 4 GiB edit, and no speed-up over the scalar kernel).
    private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED.length() > DOT_LANES
            ? DoubleVector.SPECIES_512 : DoubleVector.SPECIES_PREFERRED;
    private static final int WIDTH = SPECIES.length();

    private PanamaVectorOps() {
        if (WIDTH > DOT_LANES || DOT_LANES % WIDTH != 0) {
            throw new IllegalArgumentException("unsupported double vector width " + WIDTH);
        }
    }

    static PanamaVectorOps preferred() {
        return new PanamaVectorOps();
    }

    @Override
    public double dot(double[] a, double[] b, int n) {
        int i = 0;
        int bound = n - (n % DOT_LANES);
        double[] lanes = new double[DOT_LANES];
        if (WIDTH == 8) {
            DoubleVector s0 = DoubleVector.zero(SPECIES);
            for (; i < bound; i += DOT_LANES) {
                s0 = DoubleVector.fromArray(SPECIES, a, i).fma(DoubleVector.fromArray(SPECIES, b, i), s0);
            }
            s0.intoArray(lanes, 0);
        } else if (WIDTH == 4) {
            DoubleVector s0 = DoubleVector.zero(SPECIES), s1 = DoubleVector.zero(SPECIES);
            for (; i < bound; i += DOT_LANES) {
                s0 = DoubleVector.fromArray(SPECIES, a, i).fma(DoubleVector.fromArray(SPECIES, b, i), s0);
                s1 = DoubleVector.fromArray(SPECIES, a, i + 4).fma(DoubleVector.fromArray(SPECIES, b, i + 4), s1);
            }
            s0.intoArray(lanes, 0);
            s1.intoArray(lanes, 4);
        } else {
            // Narrow vectors: the plain scalar order, which is the same eight-lane order.
            for (; i < bound; i += DOT_LANES) {
                for (int k = 0; k < DOT_LANES; k++) lanes[k] = Math.fma(a[i + k], b[i + k], lanes[k]);
            }
        }
        for (; i < n; i++) lanes[i % DOT_LANES] = Math.fma(a[i], b[i], lanes[i % DOT_LANES]);
        return VectorOps.combine(lanes[0], lanes[1], lanes[2], lanes[3], lanes[4], lanes[5], lanes[6], lanes[7]);
    }

    @Override
    public void subtractScaled(double[] x, double s, double[] y, int n) {
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += WIDTH) {
            DoubleVector p = DoubleVector.fromArray(SPECIES, y, i).mul(s);
            DoubleVector.fromArray(SPECIES, x, i).sub(p).intoArray(x, i);
        }
        for (; i < n; i++) {
            double p = s * y[i];
            x[i] = x[i] - p;
        }
    }

    @Override
    public void accumulateScaled(double[] acc, double s, double[] x, int n) {
        int i = 0;
        DoubleVector sv = DoubleVector.broadcast(SPECIES, s);
        for (int bound = SPECIES.loopBound(n); i < bound; i += WIDTH) {
            sv.fma(DoubleVector.fromArray(SPECIES, x, i), DoubleVector.fromArray(SPECIES, acc, i)).intoArray(acc, i);
        }
        for (; i < n; i++) acc[i] = Math.fma(s, x[i], acc[i]);
    }

    @Override
    public void accumulateProducts(double[] acc, double[] x, double[] y, int n) {
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += WIDTH) {
            DoubleVector.fromArray(SPECIES, x, i)
                    .fma(DoubleVector.fromArray(SPECIES, y, i), DoubleVector.fromArray(SPECIES, acc, i))
                    .intoArray(acc, i);
        }
        for (; i < n; i++) acc[i] = Math.fma(x[i], y[i], acc[i]);
    }

    @Override
    public String name() { return "panama-" + SPECIES.vectorBitSize(); }

}
