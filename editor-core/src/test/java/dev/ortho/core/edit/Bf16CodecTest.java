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

/** The vectorized BF16 codec gives exactly the bits of the scalar one, for every input class. */
class Bf16CodecTest {

    private final VectorOps ops = VectorOpsProvider.panamaOrScalar();
    private final ElementCodec vector = ElementCodec.of(DType.BF16, ops);
    private final ElementCodec scalar = ElementCodec.of(DType.BF16);

    @Test
    void decodesEveryBf16PatternExactly() {
        try (Arena arena = Arena.ofConfined()) {
            int n = 65536;
            MemorySegment seg = arena.allocate(2L * n + 2);
            for (int i = 0; i < n; i++) seg.set(ElementCodec.SHORT_LE, 2L + 2L * i, (short) i); // odd start: unaligned tail paths
            double[] a = new double[n], b = new double[n];
            vector.decode(seg, 1, a, n);
            scalar.decode(seg, 1, b, n);
            for (int i = 0; i < n; i++) {
                assertEquals(Double.doubleToRawLongBits(b[i]), Double.doubleToRawLongBits(a[i]), "pattern " + Integer.toHexString(i));
            }
        }
    }

    @Test
    void encodesLikeTheScalarReference() {
        SplittableRandom rnd = new SplittableRandom(11);
        int n = 1_000_003; // not a multiple of any vector width
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (i % 6) {
                case 0 -> Double.longBitsToDouble(rnd.nextLong()); // any bit pattern: NaNs, infinities, subnormals
                case 1 -> rnd.nextGaussian() * 0.02;             // weight-like
                case 2 -> { // exactly halfway between two BF16 values, and a hair either side
                    float lo = FloatConversions.bf16ToFloat((short) rnd.nextInt(0x7F00));
                    double ulp = Math.ulp(lo) * 65536.0 / 2;
                    yield lo + ulp + (rnd.nextInt(3) - 1) * Math.ulp((double) lo) * 1e-3;
                }
                case 3 -> (float) (rnd.nextDouble() * 1e38) * 1.01;  // near and past the float range
                case 4 -> rnd.nextDouble() * 1e-40;                   // float subnormals
                default -> -rnd.nextDouble();
            };
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(2L * n + 2), b = arena.allocate(2L * n + 2);
            vector.encode(v, n, a, 1);
            scalar.encode(v, n, b, 1);
            long mismatch = a.mismatch(b);
            assertEquals(-1, mismatch, () -> "first difference at element " + (mismatch / 2 - 1) + " = " + v[(int) (mismatch / 2 - 1)]);
        }
    }

    /**
     * Inputs grouped so that whole vectors fall in one class: the vectorized encoder has a fast path
     * for vectors whose every lane is in BF16's normal range, and the edges of that range (ties, the
     * smallest normal, rounding up into the next binade or past the largest finite value) must give
     * the reference's bits too.
     */
    @Test
    void encodesWholeVectorsOfEachClassLikeTheScalarReference() {
        SplittableRandom rnd = new SplittableRandom(12);
        int n = 64 * 20_000 + 5;
        double[] v = new double[n];
        double minNormal = Float.MIN_NORMAL;
        for (int i = 0; i < n; i++) {
            v[i] = switch ((i / 64) % 8) {
                case 0 -> rnd.nextGaussian() * 0.02;
                case 1 -> { // ties and near-ties
                    float lo = FloatConversions.bf16ToFloat((short) (0x0080 + rnd.nextInt(0x7E00)));
                    double half = Math.ulp(lo) * 65536.0 / 2;
                    yield (rnd.nextBoolean() ? 1 : -1) * (lo + half + (rnd.nextInt(3) - 1) * Math.ulp((double) lo));
                }
                case 2 -> minNormal * (1 + rnd.nextDouble() * 1e-2) * (rnd.nextBoolean() ? 1 : -1); // just above the smallest normal
                case 3 -> minNormal * (1 - rnd.nextDouble() * 1e-2);                              // just below: subnormal results
                case 4 -> Float.MAX_VALUE * (1 + (rnd.nextDouble() - 0.5) * 1e-2);                // around overflow
                case 5 -> { // just below a power of two: rounds up into the next binade
                    double p = Math.scalb(1.0, rnd.nextInt(-120, 120));
                    yield p - Math.ulp(p) * rnd.nextInt(1, 1 << 20);
                }
                case 6 -> rnd.nextBoolean() ? 0.0 : -0.0;
                default -> Double.longBitsToDouble(rnd.nextLong());
            };
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(2L * n + 2), b = arena.allocate(2L * n + 2);
            vector.encode(v, n, a, 1);
            scalar.encode(v, n, b, 1);
            long mismatch = a.mismatch(b);
            assertEquals(-1, mismatch, () -> "first difference at element " + (mismatch / 2 - 1) + " = " + v[(int) (mismatch / 2 - 1)]);
        }
    }
}
