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
}
