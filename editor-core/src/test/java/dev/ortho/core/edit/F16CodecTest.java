package dev.ortho.core.edit;

import dev.ortho.core.edit.vectorization.VectorOps;
import dev.ortho.core.edit.vectorization.VectorOpsProvider;
import dev.ortho.formats.safetensors.DType;
import dev.ortho.formats.safetensors.FloatConversions;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The vectorized F16 codec (integer lane operations on the bit patterns: the Vector API has no
 * half-precision lanes) gives exactly the bits of the scalar one, {@code Float.float16ToFloat} and
 * {@code FloatConversions.doubleToF16}, for every input class.
 */
class F16CodecTest {

    private final VectorOps ops = VectorOpsProvider.panamaOrScalar();
    private final ElementCodec vector = ElementCodec.of(DType.F16, ops);
    private final ElementCodec scalar = ElementCodec.of(DType.F16);

    @Test
    void decodesEveryF16PatternExactly() {
        try (Arena arena = Arena.ofConfined()) {
            int n = 65536;
            MemorySegment seg = arena.allocate(2L * n + 2);
            for (int i = 0; i < n; i++) seg.set(ElementCodec.SHORT_LE, 2L + 2L * i, (short) i); // odd start: unaligned tail paths
            double[] a = new double[n], b = new double[n];
            vector.decode(seg, 1, a, n);
            scalar.decode(seg, 1, b, n);
            for (int i = 0; i < n; i++) {
                // Independently of both: the value of the pattern by IEEE 754 binary16's definition.
                int e = (i >> 10) & 0x1F, m = i & 0x3FF;
                double sign = (i & 0x8000) != 0 ? -1 : 1;
                if (e != 31) {
                    double want = sign * (e == 0 ? m * 0x1p-24 : (1 + m / 1024.0) * Math.scalb(1.0, e - 15));
                    assertEquals(Double.doubleToRawLongBits(want), Double.doubleToRawLongBits(a[i]), "pattern " + Integer.toHexString(i));
                } else if (m == 0) {
                    assertEquals(sign * Double.POSITIVE_INFINITY, a[i]);
                } else {
                    assertTrue(Double.isNaN(a[i]), "pattern " + Integer.toHexString(i));
                }
                assertEquals(Double.doubleToRawLongBits(b[i]), Double.doubleToRawLongBits(a[i]), "pattern " + Integer.toHexString(i));
            }
        }
    }

    /**
     * Inputs grouped so that whole vectors fall in one class: the vectorized encoder has a fast path for
     * vectors whose every lane is in F16's normal range; ties, the smallest normal, subnormal results,
     * rounding up into the next binade and past 65504 must give the reference's bits too.
     */
    @Test
    void encodesEveryClassLikeTheScalarReference() {
        SplittableRandom rnd = new SplittableRandom(21);
        int n = 64 * 20_000 + 5;
        double[] v = new double[n];
        double minNormal = 0x1p-14;
        for (int i = 0; i < n; i++) {
            v[i] = switch ((i / 64) % 10) {
                case 0 -> rnd.nextGaussian() * 0.02;
                case 1 -> { // ties and near-ties between two F16 values
                    double lo = Float.float16ToFloat((short) (0x0400 + rnd.nextInt(0x7800)));
                    double half = Math.ulp((float) lo) * 8192.0 / 2;
                    yield (rnd.nextBoolean() ? 1 : -1) * (lo + half + (rnd.nextInt(3) - 1) * Math.ulp(lo));
                }
                case 2 -> minNormal * (1 + rnd.nextDouble() * 1e-2) * (rnd.nextBoolean() ? 1 : -1); // just above the smallest normal
                case 3 -> minNormal * (1 - rnd.nextDouble() * 1e-2);                              // just below: subnormal results
                case 4 -> 65504 * (1 + (rnd.nextDouble() - 0.5) * 2e-3);                          // around overflow
                case 5 -> { // just below a power of two: rounds up into the next binade
                    double p = Math.scalb(1.0, rnd.nextInt(-14, 16));
                    yield p - Math.ulp(p) * rnd.nextInt(1, 1 << 30);
                }
                case 6 -> rnd.nextBoolean() ? 0.0 : -0.0;
                case 7 -> rnd.nextDouble() * 1e-6;                                                // F16 subnormals
                case 8 -> (rnd.nextDouble() - 0.5) * 1e6;                                         // mostly overflow
                default -> Double.longBitsToDouble(rnd.nextLong());                               // anything: NaN, infinities
            };
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(2L * n + 2), b = arena.allocate(2L * n + 2);
            vector.encode(v, n, a, 1);
            scalar.encode(v, n, b, 1);
            long mismatch = a.mismatch(b);
            assertEquals(-1, mismatch, () -> "first difference at element " + (mismatch / 2 - 1) + " = " + v[(int) (mismatch / 2 - 1)]);
            // And against an independent nearest-even rounding on weight-like values.
            for (int i = 0; i < n; i += 64 * 10) {
                for (int k = i; k < Math.min(n, i + 64); k++) {
                    short got = a.get(ElementCodec.SHORT_LE, 2L + 2L * k);
                    assertEquals(nearestEvenF16(v[k]), Float.float16ToFloat(got), 0.0, "element " + k);
                }
            }
        }
    }

    /** Nearest F16 value, ties to even, for |x| in the normal range: by search over the two neighbours. */
    private static double nearestEvenF16(double x) {
        if (Math.abs(x) < 0x1p-14 || Math.abs(x) > 65504) return Float.float16ToFloat(FloatConversions.doubleToF16(x));
        int e = Math.getExponent(x);
        double ulp = Math.scalb(1.0, e - 10);
        double lo = Math.floor(x / ulp) * ulp, hi = lo + ulp;
        double dl = x - lo, dh = hi - x;
        if (dl < dh) return lo;
        if (dh < dl) return hi;
        return ((long) Math.floor(x / ulp) & 1) == 0 ? lo : hi;
    }
}
