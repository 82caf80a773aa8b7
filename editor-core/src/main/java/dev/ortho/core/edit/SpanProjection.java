package dev.ortho.core.edit;

import dev.ortho.core.edit.vectorization.VectorOps;
import dev.ortho.formats.safetensors.DType;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The general edit of {@link ProjectionKernel}: several basis vectors and/or norm preservation
 * (EDIT-MATH.md). Same determinism rules as the single-direction path: a row (ROWS) or a column
 * (COLUMNS) is owned by one thread, every sum runs in a fixed order, per-row or per-column figures
 * are combined in order, so the bytes do not depend on the thread count.
 *
 * <p>COLUMNS with norm preservation needs ‖u‖ of every column before it can write any row, so it
 * reads the input three times (coefficients, ‖u‖, write) rather than holding the tensor.
 */
final class SpanProjection {

    private SpanProjection() {}

    static ProjectionStats rows(ProjectionKernel k, MemorySegment in, ElementCodec codec, DType dtype, long[] shape,
                                double[][] q, double alpha, boolean normPreserving, TensorSink sink) {
        VectorOps ops = k.ops();
        int hidden = shape.length == 0 ? 1 : Math.toIntExact(shape[shape.length - 1]);
        for (double[] v : q) ProjectionKernel.requireLength(v, hidden, "last");
        long rows = hidden == 0 ? 0 : (in.byteSize() / dtype.byteSize()) / hidden;
        long rowBytes = (long) hidden * dtype.byteSize();
        int rowsPerChunk = (int) Math.max(1, Math.min(Integer.MAX_VALUE, ProjectionKernel.CHUNK_BYTES / Math.max(1, rowBytes)));
        MemorySegment buffer = k.chunkBuffer(rowsPerChunk * rowBytes);
        double sumBefore = 0, sumAfter = 0, maxLeft = 0;
        double[] before = new double[rowsPerChunk], after = new double[rowsPerChunk], left = new double[rowsPerChunk];
        for (long first = 0; first < rows; first += rowsPerChunk) {
            int count = (int) Math.min(rowsPerChunk, rows - first);
            long chunkFirst = first;
            k.runParallel(count, (from, to) -> {
                double[] x = new double[hidden];
                double[] y = new double[hidden];
                double[] c = new double[q.length];
                for (int i = from; i < to; i++) {
                    codec.decode(in, (chunkFirst + i) * hidden, x, hidden);
                    double vv = ops.dot(x, x, hidden);
                    for (int j = 0; j < q.length; j++) c[j] = ops.dot(x, q[j], hidden);
                    for (int j = 0; j < q.length; j++) ops.subtractScaled(x, alpha * c[j], q[j], hidden);
                    if (normPreserving) scaleToNorm(ops, x, hidden, vv);
                    codec.encode(x, hidden, buffer, (long) i * hidden);
                    codec.decode(buffer, (long) i * hidden, y, hidden);
                    before[i] = vv;
                    after[i] = ops.dot(y, y, hidden);
                    double worst = 0;
                    for (double[] qj : q) worst = Math.max(worst, Math.abs(ops.dot(y, qj, hidden)));
                    left[i] = worst;
                }
            });
            for (int i = 0; i < count; i++) {
                sumBefore += before[i];
                sumAfter += after[i];
                maxLeft = Math.max(maxLeft, left[i]);
            }
            sink.write(buffer.asSlice(0, count * rowBytes));
        }
        return new ProjectionStats(Math.sqrt(sumBefore), Math.sqrt(sumAfter), maxLeft);
    }

    /** u ← (‖v‖/‖u‖)·u, left as is when ‖u‖ = 0. */
    private static void scaleToNorm(VectorOps ops, double[] u, int n, double vv) {
        double uu = ops.dot(u, u, n);
        if (!(uu > 0)) return;
        double s = Math.sqrt(vv) / Math.sqrt(uu);
        for (int i = 0; i < n; i++) u[i] = s * u[i];
    }

    static ProjectionStats columns(ProjectionKernel k, MemorySegment in, ElementCodec codec, DType dtype, long[] shape,
                                   double[][] q, double alpha, boolean normPreserving, TensorSink sink) {
        if (shape.length < 2) throw new IllegalArgumentException("COLUMNS layout needs rank >= 2");
        VectorOps ops = k.ops();
        int hidden = Math.toIntExact(shape[shape.length - 2]);
        int cols = Math.toIntExact(shape[shape.length - 1]);
        for (double[] v : q) ProjectionKernel.requireLength(v, hidden, "second-to-last");
        long matrixElements = (long) hidden * cols;
        long batches = matrixElements == 0 ? 0 : (in.byteSize() / dtype.byteSize()) / matrixElements;
        long rowBytes = (long) cols * dtype.byteSize();
        int rowsPerChunk = (int) Math.max(1, Math.min(hidden, ProjectionKernel.CHUNK_BYTES / Math.max(1, rowBytes)));
        MemorySegment buffer = k.chunkBuffer(rowsPerChunk * rowBytes);
        List<Range> ranges = Range.split(cols, k.threads(), q.length);

        double sumBefore = 0, sumAfter = 0, maxLeft = 0;
        for (long b = 0; b < batches; b++) {
            long base = b * matrixElements;
            for (Range range : ranges) range.reset();
            // Pass 1: c_j = q_jᵀW and Σ W² per column, each column summed top to bottom.
            k.forEach(ranges, range -> {
                for (int h = 0; h < hidden; h++) {
                    codec.decode(in, base + (long) h * cols + range.from, range.x, range.width);
                    for (int j = 0; j < q.length; j++) ops.accumulateScaled(range.c[j], q[j][h], range.x, range.width);
                    ops.accumulateProducts(range.sumBefore, range.x, range.x, range.width);
                }
            });
            if (normPreserving) {
                // Pass 1b: ‖u‖² per column, u computed exactly as pass 2 computes it.
                k.forEach(ranges, range -> {
                    for (int h = 0; h < hidden; h++) {
                        reduced(codec, ops, in, base + (long) h * cols, range, q, h, alpha);
                        ops.accumulateProducts(range.uu, range.x, range.x, range.width);
                    }
                    for (int j = 0; j < range.width; j++) {
                        range.scale[j] = range.uu[j] > 0 ? Math.sqrt(range.sumBefore[j]) / Math.sqrt(range.uu[j]) : 1.0;
                    }
                });
            }
            // Pass 2: W' streamed row chunk by row chunk; q_jᵀW' and Σ W'² per column.
            for (int first = 0; first < hidden; first += rowsPerChunk) {
                int count = Math.min(rowsPerChunk, hidden - first);
                int chunkFirst = first;
                k.forEach(ranges, range -> {
                    for (int i = 0; i < count; i++) {
                        int h = chunkFirst + i;
                        reduced(codec, ops, in, base + (long) h * cols, range, q, h, alpha);
                        if (normPreserving) for (int j = 0; j < range.width; j++) range.x[j] = range.scale[j] * range.x[j];
                        long at = (long) i * cols + range.from;
                        codec.encode(range.x, range.width, buffer, at);
                        codec.decode(buffer, at, range.x, range.width);
                        for (int j = 0; j < q.length; j++) ops.accumulateScaled(range.left[j], q[j][h], range.x, range.width);
                        ops.accumulateProducts(range.sumAfter, range.x, range.x, range.width);
                    }
                });
                sink.write(buffer.asSlice(0, count * rowBytes));
            }
            for (Range range : ranges) {
                for (int col = 0; col < range.width; col++) {
                    sumBefore += range.sumBefore[col];
                    sumAfter += range.sumAfter[col];
                    for (double[] l : range.left) maxLeft = Math.max(maxLeft, Math.abs(l[col]));
                }
            }
        }
        return new ProjectionStats(Math.sqrt(sumBefore), Math.sqrt(sumAfter), maxLeft);
    }

    /** Row h of the range's columns, reduced: x ← w − Σ_j (α·q_j[h]) c_j, in basis order. */
    private static void reduced(ElementCodec codec, VectorOps ops, MemorySegment in, long rowStart, Range range,
                                double[][] q, int h, double alpha) {
        codec.decode(in, rowStart + range.from, range.x, range.width);
        for (int j = 0; j < q.length; j++) ops.subtractScaled(range.x, alpha * q[j][h], range.c[j], range.width);
    }

    /** Columns owned by one worker for a whole tensor, with their running per-column sums. */
    private static final class Range {
        final int from, width;
        final double[] x, sumBefore, sumAfter, uu, scale;
        final double[][] c, left;

        Range(int from, int width, int k) {
            this.from = from;
            this.width = width;
            x = new double[width];
            sumBefore = new double[width];
            sumAfter = new double[width];
            uu = new double[width];
            scale = new double[width];
            c = new double[k][width];
            left = new double[k][width];
        }

        void reset() {
            Arrays.fill(sumBefore, 0);
            Arrays.fill(sumAfter, 0);
            Arrays.fill(uu, 0);
            for (double[] a : c) Arrays.fill(a, 0);
            for (double[] a : left) Arrays.fill(a, 0);
        }

        /** Same split as the single-direction kernel: at most {@code parts} ranges on 64-column boundaries. */
        static List<Range> split(int cols, int parts, int k) {
            int align = 64;
            int units = Math.max(1, (cols + align - 1) / align);
            int n = Math.min(parts, units);
            List<Range> out = new ArrayList<>(n);
            int start = 0;
            for (int i = 0; i < n; i++) {
                int end = Math.min(cols, (int) ((long) units * (i + 1) / n) * align);
                if (end > start) out.add(new Range(start, end - start, k));
                start = end;
            }
            return out;
        }
    }
}
