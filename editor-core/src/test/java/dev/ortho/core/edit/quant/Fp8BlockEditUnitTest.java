package dev.ortho.core.edit.quant;

import dev.ortho.core.edit.ProjectionKernel;
import dev.ortho.core.edit.ProjectionLayout;
import dev.ortho.core.edit.vectorization.VectorOpsProvider;
import dev.ortho.fixtures.QuantizedFixtures;
import dev.ortho.formats.safetensors.DType;
import dev.ortho.formats.safetensors.FloatConversions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** {@link Fp8BlockEdit} on one tensor with partial blocks, both layouts, any thread count. */
class Fp8BlockEditUnitTest {

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble D = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort S = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int ROWS = 150, COLS = 100, BM = 32, BN = 24; // 5 x 5 blocks, the last ones partial

    @ParameterizedTest
    @EnumSource(ProjectionLayout.class)
    void equalsTheIndependentEditAndTheKernelForAnyThreadCount(ProjectionLayout layout) {
        SplittableRandom rnd = new SplittableRandom(layout.ordinal() + 1);
        int hidden = layout == ProjectionLayout.COLUMNS ? ROWS : COLS;
        double[] r = rnd.doubles(hidden, -1, 1).toArray();
        double n = 0;
        for (double x : r) n += x * x;
        for (int i = 0; i < hidden; i++) r[i] /= Math.sqrt(n);
        Fp8BlockScheme scheme = new Fp8BlockScheme(Fp8Format.E4M3, BM, BN);
        int sr = (ROWS + BM - 1) / BM, sc = (COLS + BN - 1) / BN;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = arena.allocate(ROWS * COLS), s = arena.allocate(4L * sr * sc);
            for (int i = 0; i < ROWS * COLS; i++) w.set(ValueLayout.JAVA_BYTE, i, QuantizedFixtures.encodeE4m3(rnd.nextGaussian() * 120));
            for (int k = 0; k < sr * sc; k++) s.setAtIndex(F, k, (float) (1e-3 * (1 + rnd.nextDouble())));
            s.setAtIndex(F, 0, 0.25f); // one block far coarser than the rest

            // Independent: decode with the fixtures' codec, project with plain loops, requantize block by block.
            double[] x = new double[ROWS * COLS], xp = new double[ROWS * COLS];
            for (int h = 0; h < ROWS; h++) for (int j = 0; j < COLS; j++) {
                x[h * COLS + j] = QuantizedFixtures.decodeE4m3(w.get(ValueLayout.JAVA_BYTE, h * COLS + j)) * s.getAtIndex(F, (h / BM) * sc + j / BN);
            }
            if (layout == ProjectionLayout.COLUMNS) {
                for (int j = 0; j < COLS; j++) {
                    double v = 0;
                    for (int h = 0; h < ROWS; h++) v += r[h] * x[h * COLS + j];
                    for (int h = 0; h < ROWS; h++) xp[h * COLS + j] = x[h * COLS + j] - r[h] * v;
                }
            } else {
                for (int h = 0; h < ROWS; h++) {
                    double d = 0;
                    for (int j = 0; j < COLS; j++) d += r[j] * x[h * COLS + j];
                    for (int j = 0; j < COLS; j++) xp[h * COLS + j] = x[h * COLS + j] - d * r[j];
                }
            }
            float[] scales = new float[sr * sc];
            double[] amax = new double[sr * sc];
            for (int h = 0; h < ROWS; h++) for (int j = 0; j < COLS; j++) {
                int k = (h / BM) * sc + j / BN;
                amax[k] = Math.max(amax[k], Math.abs(xp[h * COLS + j]));
            }
            for (int k = 0; k < sr * sc; k++) scales[k] = (float) (amax[k] / 448);

            Fp8BlockEdit.Result first = null;
            for (int threads : new int[]{1, 2, 5}) {
                try (Parallel p = new Parallel(threads)) {
                    Fp8BlockEdit.Result res = Fp8BlockEdit.edit(w, s, DType.F32, new long[]{ROWS, COLS}, scheme, layout, r, 1.0,
                            Fp8BlockEdit.Output.REQUANTIZE, VectorOpsProvider.get(), arena, p);
                    for (int k = 0; k < sr * sc; k++) assertEquals(scales[k], res.scale().getAtIndex(F, k), 0f, "scale " + k);
                    for (int h = 0; h < ROWS; h++) for (int j = 0; j < COLS; j++) {
                        byte want = QuantizedFixtures.encodeE4m3(xp[h * COLS + j] / scales[(h / BM) * sc + j / BN]);
                        assertEquals(want, res.weight().get(ValueLayout.JAVA_BYTE, h * COLS + j), "element " + h + "," + j);
                    }
                    if (first == null) first = res;
                    else {
                        assertEquals(first.stats(), res.stats(), "statistics must not depend on the thread count");
                        assertEquals(-1, first.weight().mismatch(res.weight()));
                    }
                }
            }
            assertTrue(first.stats().componentAfter() < first.stats().componentBefore());

            // W' is the kernel's own float64 edit of the dequantized tensor: stored as BF16, the bits agree.
            MemorySegment f64 = arena.allocate(8L * ROWS * COLS);
            for (int i = 0; i < ROWS * COLS; i++) f64.setAtIndex(D, i, x[i]);
            MemorySegment kernelOut = arena.allocate(8L * ROWS * COLS);
            long[] at = {0};
            try (ProjectionKernel kernel = new ProjectionKernel(2)) {
                kernel.project(f64, DType.F64, new long[]{ROWS, COLS}, layout, r, 1.0, chunk -> {
                    MemorySegment.copy(chunk, 0, kernelOut, at[0], chunk.byteSize());
                    at[0] += chunk.byteSize();
                });
            }
            Fp8BlockEdit.Result bf16 = Fp8BlockEdit.edit(w, s, DType.F32, new long[]{ROWS, COLS}, scheme, layout, r, 1.0,
                    Fp8BlockEdit.Output.DEQUANTIZE_BF16, VectorOpsProvider.get(), arena);
            for (int i = 0; i < ROWS * COLS; i++) {
                assertEquals(FloatConversions.doubleToBf16(kernelOut.getAtIndex(D, i)), bf16.weight().getAtIndex(S, i), "element " + i);
            }
            assertNull(bf16.scale());
        }
    }
}
