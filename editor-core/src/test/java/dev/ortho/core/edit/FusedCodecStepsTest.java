package dev.ortho.core.edit;

import dev.ortho.core.edit.vectorization.VectorOps;
import dev.ortho.core.edit.vectorization.VectorOpsProvider;
import dev.ortho.formats.safetensors.DType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The fused steps of the 16-bit codecs (the kernel's COLUMNS passes, the ROWS output step) give exactly the bytes and
 * the sums of the separate scalar steps, for BF16 and F16 alike.
 */
class FusedCodecStepsTest {

    private static final VectorOps OPS = VectorOpsProvider.panamaOrScalar();
    private static final VectorOps REFERENCE = VectorOpsProvider.scalar();

    /** The fused COLUMNS steps (widen, subtract, round, statistics) against decode, subtract, encode, decode, sums. */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"BF16", "F16"})
    void fusedColumnStepsMatchTheSeparateSteps(DType dtype) {
        ElementCodec vector = ElementCodec.of(dtype, OPS), scalar = ElementCodec.of(dtype);
        SplittableRandom rnd = new SplittableRandom(23);
        int n = 11008 + 3;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(2L * n), outA = arena.allocate(2L * n), outB = arena.allocate(2L * n);
            double[] w = new double[n];
            for (int i = 0; i < n; i++) w[i] = (i % 97 == 0) ? 0.0 : (i % 89 == 0) ? 3e-6 : rnd.nextGaussian() * 0.02; // zeros, F16 subnormals
            scalar.encode(w, n, src, 0);
            double[] vA = new double[n], vB = new double[n], sA = new double[n], sB = new double[n], x = new double[n];
            for (int row = 0; row < 3; row++) {
                double rh = rnd.nextGaussian() * 0.1;
                vector.columnSums(src, 0, rh, vA, sA, x, n, OPS);
                scalar.columnSums(src, 0, rh, vB, sB, x, n, REFERENCE);
            }
            assertArrayEquals(vB, vA);
            assertArrayEquals(sB, sA);
            double[] leftA = new double[n], leftB = new double[n], afterA = new double[n], afterB = new double[n];
            for (int row = 0; row < 3; row++) {
                double rh = rnd.nextGaussian() * 0.1;
                vector.columnUpdate(src, 0, 0.7 * rh, rh, vA, outA, 0, leftA, afterA, x, n, OPS);
                scalar.columnUpdate(src, 0, 0.7 * rh, rh, vB, outB, 0, leftB, afterB, x, n, REFERENCE);
                assertEquals(-1, outA.mismatch(outB), "row " + row);
            }
            assertArrayEquals(leftB, leftA);
            assertArrayEquals(afterB, afterA);
        }
    }

    /**
     * The fused ROWS output step (round, store, and y·y, y·r of the stored values) against encoding, decoding and the
     * scalar selfAndCross: rows of weight-like values (the fused path), rows with zeros and tiny values (the general
     * paths), a length that is not a multiple of the vector width.
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"BF16", "F16"})
    void fusedRowOutputMatchesTheSeparateSteps(DType dtype) {
        ElementCodec vector = ElementCodec.of(dtype, OPS), scalar = ElementCodec.of(dtype);
        SplittableRandom rnd = new SplittableRandom(31);
        int n = 4096 + 3;
        double[] r = new double[n];
        for (int i = 0; i < n; i++) r[i] = rnd.nextGaussian() / 64;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(2L * n + 2), b = arena.allocate(2L * n + 2);
            for (int row = 0; row < 6; row++) {
                double[] x = new double[n];
                for (int i = 0; i < n; i++) {
                    x[i] = switch (row) {
                        case 0, 1 -> rnd.nextGaussian() * 0.02;
                        case 2 -> i % 37 == 0 ? 0.0 : rnd.nextGaussian() * 0.02;
                        case 3 -> i % 41 == 0 ? 1e-7 * rnd.nextGaussian() : rnd.nextGaussian();
                        case 4 -> rnd.nextGaussian() * 1e5;
                        default -> Double.longBitsToDouble(rnd.nextLong());
                    };
                }
                double[] outA = new double[2], outB = new double[2], y = new double[n];
                vector.encodeWithStats(x, n, a, 1, r, y, outA, OPS);
                scalar.encodeWithStats(x, n, b, 1, r, y, outB, REFERENCE);
                assertEquals(-1, a.mismatch(b), "row " + row);
                // Exact bits, except that any NaN equals any NaN (Java leaves a NaN result's payload and sign open).
                assertEquals(Double.doubleToLongBits(outB[0]), Double.doubleToLongBits(outA[0]), "row " + row + " y·y");
                assertEquals(Double.doubleToLongBits(outB[1]), Double.doubleToLongBits(outA[1]), "row " + row + " y·r");
            }
        }
    }

    /**
     * NaNs whose payload is all ones: rounding by an integer add carries out of the exponent into the sign bit, and
     * a range test on the rounded magnitude alone would take them for small normal numbers. Whole vectors of them,
     * mixed with ordinary values, must still give the reference's bits.
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"BF16", "F16"})
    void nansWithFullPayloadsStayNans(DType dtype) {
        ElementCodec vector = ElementCodec.of(dtype, OPS), scalar = ElementCodec.of(dtype);
        int n = 64 + 3;
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = i % 3 == 0 ? 0.02 * (i + 1) : Double.longBitsToDouble((i % 2 == 0 ? 0x7FFF_FFFF_FFFF_FFFFL : 0xFFFF_FFFF_FFFF_FFFFL) - i % 5);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(2L * n), b = arena.allocate(2L * n);
            vector.encode(v, n, a, 0);
            scalar.encode(v, n, b, 0);
            long mismatch = a.mismatch(b);
            assertEquals(-1, mismatch, () -> "first difference at element " + (mismatch / 2) + " = "
                    + Long.toHexString(Double.doubleToRawLongBits(v[(int) (mismatch / 2)])));
        }
    }
}
