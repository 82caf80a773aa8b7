package dev.ortho.core.edit;

import dev.ortho.core.edit.vectorization.VectorOps;
import dev.ortho.core.edit.vectorization.VectorOpsProvider;
import dev.ortho.formats.safetensors.DType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class ProjectionKernelTest {

    static Stream<Arguments> cases() {
        return Stream.of(DType.F32, DType.BF16, DType.F16, DType.F64).flatMap(t -> Stream.of(
                Arguments.of(t, ProjectionLayout.COLUMNS, new long[]{37, 301}),
                Arguments.of(t, ProjectionLayout.COLUMNS, new long[]{3, 24, 70}),
                Arguments.of(t, ProjectionLayout.ROWS, new long[]{513, 37}),
                Arguments.of(t, ProjectionLayout.ROWS, new long[]{37})));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void matchesReferenceAndIgnoresThreadCount(DType dtype, ProjectionLayout layout, long[] shape) {
        int hidden = (int) (layout == ProjectionLayout.ROWS ? shape[shape.length - 1] : shape[shape.length - 2]);
        SplittableRandom rnd = new SplittableRandom(42);
        double[] r = unit(rnd, hidden);
        long n = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment in = arena.allocate(n * dtype.byteSize());
            ElementCodec codec = ElementCodec.of(dtype);
            double[] vals = rnd.doubles(n, -2, 2).toArray();
            codec.encode(vals, (int) n, in, 0);
            double[] stored = new double[(int) n];
            codec.decode(in, 0, stored, (int) n);

            byte[] expected = reference(stored, shape, layout, r, 1.0, codec, dtype);
            ProjectionStats first = null;
            for (VectorOps ops : new VectorOps[]{VectorOpsProvider.scalar(), VectorOpsProvider.panamaOrScalar()}) {
                for (int threads : new int[]{1, 2, 3, 8}) {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    ProjectionStats stats;
                    try (ProjectionKernel k = new ProjectionKernel(threads, ops)) {
                        stats = k.project(in, dtype, shape, layout, r, 1.0,
                                c -> out.writeBytes(c.toArray(ValueLayout.JAVA_BYTE)));
                    }
                    assertArrayEquals(expected, out.toByteArray(), ops.name() + " threads=" + threads);
                    if (first == null) first = stats;
                    assertEquals(first, stats, "stats must not depend on threads or arithmetic");
                }
            }
            // The leftover along r is rounding noise only, and the norm shrank.
            double eps = switch (dtype) { case F32 -> 0x1p-24; case BF16 -> 0x1p-8; case F16 -> 0x1p-11; default -> 0x1p-53; };
            assertTrue(first.maxLeftover() <= 4 * eps * Math.sqrt(hidden) * 2 + 1e-12, "leftover " + first.maxLeftover());
            assertTrue(first.frobeniusAfter() <= first.frobeniusBefore() * (1 + 4 * eps));
        }
    }

    @Test
    void alphaZeroIsIdentityAndNegativeAlphaAdds() {
        int hidden = 16;
        double[] r = unit(new SplittableRandom(1), hidden);
        long[] shape = {hidden, 10};
        try (Arena arena = Arena.ofShared(); ProjectionKernel k = new ProjectionKernel(2)) {
            MemorySegment in = arena.allocate(hidden * 10 * 4L);
            ElementCodec codec = ElementCodec.of(DType.F32);
            codec.encode(new SplittableRandom(3).doubles(hidden * 10L).toArray(), hidden * 10, in, 0);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            k.project(in, DType.F32, shape, ProjectionLayout.COLUMNS, r, 0.0, c -> out.writeBytes(c.toArray(ValueLayout.JAVA_BYTE)));
            assertArrayEquals(in.toArray(ValueLayout.JAVA_BYTE), out.toByteArray());
            ProjectionStats s = k.project(in, DType.F32, shape, ProjectionLayout.COLUMNS, r, -1.0, c -> {});
            assertTrue(s.maxLeftover() > 0.1, "adding the direction leaves a large component: " + s.maxLeftover());
        }
    }

    /** Naive float64 reference, the golden README's formulas written out literally. */
    static byte[] reference(double[] w, long[] shape, ProjectionLayout layout, double[] r, double alpha,
                            ElementCodec codec, DType dtype) {
        double[] out = w.clone();
        int hidden = r.length;
        if (layout == ProjectionLayout.ROWS) {
            for (int row = 0; row < w.length / hidden; row++) {
                double[] x = Arrays.copyOfRange(w, row * hidden, row * hidden + hidden);
                double d = VectorOpsProvider.scalar().dot(x, r, hidden);
                for (int i = 0; i < hidden; i++) out[row * hidden + i] = x[i] - (alpha * d) * r[i];
            }
        } else {
            int cols = (int) shape[shape.length - 1];
            int batch = w.length / (hidden * cols);
            for (int b = 0; b < batch; b++) {
                int base = b * hidden * cols;
                for (int j = 0; j < cols; j++) {
                    double v = 0;
                    for (int h = 0; h < hidden; h++) v = Math.fma(r[h], w[base + h * cols + j], v);
                    for (int h = 0; h < hidden; h++) out[base + h * cols + j] = w[base + h * cols + j] - (alpha * r[h]) * v;
                }
            }
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment seg = a.allocate((long) out.length * dtype.byteSize());
            codec.encode(out, out.length, seg, 0);
            return seg.toArray(ValueLayout.JAVA_BYTE);
        }
    }

    static double[] unit(SplittableRandom rnd, int n) {
        double[] r = rnd.doubles(n, -1, 1).toArray();
        double s = Math.sqrt(Arrays.stream(r).map(x -> x * x).sum());
        for (int i = 0; i < n; i++) r[i] /= s;
        return r;
    }
}
