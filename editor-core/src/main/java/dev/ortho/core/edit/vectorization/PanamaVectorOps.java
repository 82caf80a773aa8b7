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

    private final VectorSpecies<Double> species;
    private final int width;
    private final int vectorsPerGroup;

    PanamaVectorOps(VectorSpecies<Double> species) {
        int w = species.length();
        if (w > DOT_LANES || DOT_LANES % w != 0) {
            throw new IllegalArgumentException("unsupported double vector width " + w);
        }
        this.species = species;
        this.width = w;
        this.vectorsPerGroup = DOT_LANES / w;
    }

    static PanamaVectorOps preferred() {
        VectorSpecies<Double> s = DoubleVector.SPECIES_PREFERRED;
        if (s.length() > DOT_LANES) s = DoubleVector.SPECIES_512;
        return new PanamaVectorOps(s);
    }

    @Override
    public double dot(double[] a, double[] b, int n) {
        DoubleVector[] acc = new DoubleVector[vectorsPerGroup];
        for (int k = 0; k < vectorsPerGroup; k++) acc[k] = DoubleVector.zero(species);
        int i = 0;
        int bound = n - (n % DOT_LANES);
        if (vectorsPerGroup == 1) {
            DoubleVector s0 = acc[0];
            for (; i < bound; i += DOT_LANES) {
                s0 = DoubleVector.fromArray(species, a, i).fma(DoubleVector.fromArray(species, b, i), s0);
            }
            acc[0] = s0;
        } else if (vectorsPerGroup == 2) {
            DoubleVector s0 = acc[0], s1 = acc[1];
            for (; i < bound; i += DOT_LANES) {
                s0 = DoubleVector.fromArray(species, a, i).fma(DoubleVector.fromArray(species, b, i), s0);
                s1 = DoubleVector.fromArray(species, a, i + width).fma(DoubleVector.fromArray(species, b, i + width), s1);
            }
            acc[0] = s0;
            acc[1] = s1;
        } else {
            for (; i < bound; i += DOT_LANES) {
                for (int k = 0; k < vectorsPerGroup; k++) {
                    int o = i + k * width;
                    acc[k] = DoubleVector.fromArray(species, a, o).fma(DoubleVector.fromArray(species, b, o), acc[k]);
                }
            }
        }
        double[] lanes = new double[DOT_LANES];
        for (int k = 0; k < vectorsPerGroup; k++) acc[k].intoArray(lanes, k * width);
        for (; i < n; i++) lanes[i % DOT_LANES] = Math.fma(a[i], b[i], lanes[i % DOT_LANES]);
        return VectorOps.combine(lanes[0], lanes[1], lanes[2], lanes[3], lanes[4], lanes[5], lanes[6], lanes[7]);
    }

    @Override
    public void subtractScaled(double[] x, double s, double[] y, int n) {
        int i = 0;
        for (int bound = species.loopBound(n); i < bound; i += width) {
            DoubleVector p = DoubleVector.fromArray(species, y, i).mul(s);
            DoubleVector.fromArray(species, x, i).sub(p).intoArray(x, i);
        }
        for (; i < n; i++) {
            double p = s * y[i];
            x[i] = x[i] - p;
        }
    }

    @Override
    public void accumulateScaled(double[] acc, double s, double[] x, int n) {
        int i = 0;
        DoubleVector sv = DoubleVector.broadcast(species, s);
        for (int bound = species.loopBound(n); i < bound; i += width) {
            sv.fma(DoubleVector.fromArray(species, x, i), DoubleVector.fromArray(species, acc, i)).intoArray(acc, i);
        }
        for (; i < n; i++) acc[i] = Math.fma(s, x[i], acc[i]);
    }

    @Override
    public void accumulateProducts(double[] acc, double[] x, double[] y, int n) {
        int i = 0;
        for (int bound = species.loopBound(n); i < bound; i += width) {
            DoubleVector.fromArray(species, x, i)
                    .fma(DoubleVector.fromArray(species, y, i), DoubleVector.fromArray(species, acc, i))
                    .intoArray(acc, i);
        }
        for (; i < n; i++) acc[i] = Math.fma(x[i], y[i], acc[i]);
    }

    @Override
    public String name() { return "panama-" + species.vectorBitSize(); }

}
