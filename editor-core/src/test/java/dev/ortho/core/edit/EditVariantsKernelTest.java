package dev.ortho.core.edit;

import dev.ortho.core.edit.vectorization.VectorOps;
import dev.ortho.core.edit.vectorization.VectorOpsProvider;
import dev.ortho.formats.safetensors.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The span / norm-preserving kernel against an independent float64 computation written here
 * (EDIT-MATH.md literally: coefficients from the original v, u = v − α Σ c_j q_j, v' = ‖v‖/‖u‖ · u),
 * and byte-identical across thread counts and arithmetic back-ends.
 */
class EditVariantsKernelTest {

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (DType t : new DType[]{DType.F32, DType.BF16, DType.F64}) {
            for (int k : new int[]{1, 3}) {
                for (boolean np : new boolean[]{false, true}) {
                    if (k == 1 && !np) continue;
                    out.add(Arguments.of(t, ProjectionLayout.COLUMNS, new long[]{37, 301}, k, np));
                    out.add(Arguments.of(t, ProjectionLayout.COLUMNS, new long[]{2, 24, 70}, k, np));
                    out.add(Arguments.of(t, ProjectionLayout.ROWS, new long[]{257, 37}, k, np));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void matchesFloat64ReferenceAndIgnoresThreads(DType dtype, ProjectionLayout layout, long[] shape, int k, boolean np) {
        int hidden = (int) (layout == ProjectionLayout.ROWS ? shape[shape.length - 1] : shape[shape.length - 2]);
        SplittableRandom rnd = new SplittableRandom(7 + k);
        List<double[]> q = EditBasis.orthonormalize(randomVectors(rnd, k, hidden), "test");
        double alpha = 0.8;
        long n = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment in = arena.allocate(n * dtype.byteSize());
            ElementCodec codec = ElementCodec.of(dtype);
            codec.encode(rnd.doubles(n, -2, 2).toArray(), (int) n, in, 0);
            double[] stored = new double[(int) n];
            codec.decode(in, 0, stored, (int) n);

            double[] expected = reference(stored, shape, layout, q, alpha, np);
            byte[] first = null;
            ProjectionStats firstStats = null;
            for (VectorOps ops : new VectorOps[]{VectorOpsProvider.scalar(), VectorOpsProvider.panamaOrScalar()}) {
                for (int threads : new int[]{1, 2, 3}) {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    ProjectionStats stats;
                    try (ProjectionKernel kernel = new ProjectionKernel(threads, ops)) {
                        stats = kernel.project(in, dtype, shape, layout, q, alpha, np, c -> out.writeBytes(c.toArray(ValueLayout.JAVA_BYTE)));
                    }
                    byte[] bytes = out.toByteArray();
                    if (first == null) {
                        first = bytes;
                        firstStats = stats;
                    }
                    assertArrayEquals(first, bytes, ops.name() + " threads=" + threads + ": bytes depend on the thread count");
                    assertEquals(firstStats, stats);
                }
            }
            double[] got = decode(first, dtype, (int) n);
            assertTrue(maxUlps(got, expected, dtype) <= 1, "kernel differs from the float64 reference by more than 1 ulp");
            // The same comparison against the plain (non-norm-preserving) result must fail when np changes
            // anything: the check above is not vacuous.
            if (np) {
                double[] plain = reference(stored, shape, layout, q, alpha, false);
                assertTrue(maxUlps(got, plain, dtype) > 1, "a norm-preserving result must differ from the plain one");
            }
        }
    }

    @Test
    void oneVectorWithoutNormPreservationIsTheSingleDirectionPath() {
        SplittableRandom rnd = new SplittableRandom(3);
        double[] r = EditBasis.orthonormalize(randomVectors(rnd, 1, 24), "t").getFirst();
        long[] shape = {24, 50};
        try (Arena arena = Arena.ofShared(); ProjectionKernel kernel = new ProjectionKernel(2)) {
            MemorySegment in = arena.allocate(24 * 50 * 4L);
            ElementCodec.of(DType.F32).encode(rnd.doubles(1200, -1, 1).toArray(), 1200, in, 0);
            ByteArrayOutputStream a = new ByteArrayOutputStream(), b = new ByteArrayOutputStream();
            kernel.project(in, DType.F32, shape, ProjectionLayout.COLUMNS, r, 1.0, c -> a.writeBytes(c.toArray(ValueLayout.JAVA_BYTE)));
            kernel.project(in, DType.F32, shape, ProjectionLayout.COLUMNS, List.of(r), 1.0, false,
                    c -> b.writeBytes(c.toArray(ValueLayout.JAVA_BYTE)));
            assertArrayEquals(a.toByteArray(), b.toByteArray());
        }
    }

    @Test
    void normPreservingKeepsNormsAndRemovesTheSpan() {
        SplittableRandom rnd = new SplittableRandom(11);
        int hidden = 32;
        List<double[]> q = EditBasis.orthonormalize(randomVectors(rnd, 2, hidden), "t");
        long[] shape = {40, hidden};
        try (Arena arena = Arena.ofShared(); ProjectionKernel kernel = new ProjectionKernel(1)) {
            MemorySegment in = arena.allocate(40L * hidden * 8);
            double[] v = rnd.doubles(40L * hidden, -1, 1).toArray();
            ElementCodec.of(DType.F64).encode(v, v.length, in, 0);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ProjectionStats s = kernel.project(in, DType.F64, shape, ProjectionLayout.ROWS, q, 1.0, true,
                    c -> out.writeBytes(c.toArray(ValueLayout.JAVA_BYTE)));
            double[] w = decode(out.toByteArray(), DType.F64, v.length);
            for (int row = 0; row < 40; row++) {
                double n0 = 0, n1 = 0;
                for (int h = 0; h < hidden; h++) {
                    n0 += v[row * hidden + h] * v[row * hidden + h];
                    n1 += w[row * hidden + h] * w[row * hidden + h];
                }
                assertEquals(Math.sqrt(n0), Math.sqrt(n1), 1e-12, "row " + row + " keeps its norm");
                for (double[] qj : q) {
                    double d = 0;
                    for (int h = 0; h < hidden; h++) d += qj[h] * w[row * hidden + h];
                    assertEquals(0, d, 1e-12);
                }
            }
            assertTrue(s.maxLeftover() < 1e-12);
            assertEquals(s.frobeniusBefore(), s.frobeniusAfter(), 1e-10);
        }
    }

    // ------------------------------------------------------------------ independent float64 reference

    /** EDIT-MATH.md written out: per write vector, c from the original, u = v − α Σ c_j q_j, optional norm restore. */
    static double[] reference(double[] w, long[] shape, ProjectionLayout layout, List<double[]> q, double alpha, boolean np) {
        double[] out = w.clone();
        if (layout == ProjectionLayout.ROWS) {
            int hidden = (int) shape[shape.length - 1];
            for (int row = 0; row < w.length / hidden; row++) {
                double[] v = Arrays.copyOfRange(w, row * hidden, (row + 1) * hidden);
                double[] u = edit(v, q, alpha, np);
                System.arraycopy(u, 0, out, row * hidden, hidden);
            }
        } else {
            int hidden = (int) shape[shape.length - 2], cols = (int) shape[shape.length - 1];
            int batches = w.length / (hidden * cols);
            for (int b = 0; b < batches; b++) {
                for (int c = 0; c < cols; c++) {
                    double[] v = new double[hidden];
                    for (int h = 0; h < hidden; h++) v[h] = w[(b * hidden + h) * cols + c];
                    double[] u = edit(v, q, alpha, np);
                    for (int h = 0; h < hidden; h++) out[(b * hidden + h) * cols + c] = u[h];
                }
            }
        }
        return out;
    }

    static double[] edit(double[] v, List<double[]> q, double alpha, boolean np) {
        int n = v.length;
        double[] sum = new double[n];
        for (double[] qj : q) {
            double c = 0;
            for (int i = 0; i < n; i++) c += qj[i] * v[i];
            for (int i = 0; i < n; i++) sum[i] += c * qj[i];
        }
        double[] u = new double[n];
        for (int i = 0; i < n; i++) u[i] = v[i] - alpha * sum[i];
        if (np) {
            double nv = 0, nu = 0;
            for (int i = 0; i < n; i++) {
                nv += v[i] * v[i];
                nu += u[i] * u[i];
            }
            if (nu > 0) for (int i = 0; i < n; i++) u[i] = Math.sqrt(nv) / Math.sqrt(nu) * u[i];
        }
        return u;
    }

    /** Max distance in units of the stored type's last place (F64: of 1e-13) between stored values and the unrounded reference. */
    static double maxUlps(double[] got, double[] exact, DType dtype) {
        double worst = 0;
        for (int i = 0; i < got.length; i++) {
            double ulp = switch (dtype) {
                case F32 -> Math.ulp((float) exact[i]);
                case BF16 -> Math.ulp((float) exact[i]) * 65536.0;
                // F64 is not rounded: what differs is the float64 evaluation order, a few 1e-16 of the
                // vector's scale (values are O(1)); 1e-13 units keep the check far below any real error.
                default -> 1e-13;
            };
            // Rounding to the stored type already costs up to half an ulp; allow 1 beyond the exact value's rounding.
            worst = Math.max(worst, Math.abs(got[i] - exact[i]) / ulp - 0.5);
        }
        return worst;
    }

    static double[] decode(byte[] bytes, DType dtype, int n) {
        double[] out = new double[n];
        ElementCodec.of(dtype).decode(MemorySegment.ofArray(bytes), 0, out, n);
        return out;
    }

    static List<double[]> randomVectors(SplittableRandom rnd, int k, int hidden) {
        List<double[]> out = new ArrayList<>();
        for (int j = 0; j < k; j++) out.add(rnd.doubles(hidden, -1, 1).toArray());
        return out;
    }
}
