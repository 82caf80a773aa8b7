package dev.ortho.core.edit;

import dev.ortho.core.edit.vectorization.VectorOps;
import dev.ortho.core.edit.vectorization.VectorOpsProvider;
import dev.ortho.formats.safetensors.DType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Projects a direction out of one tensor, streaming: input is a (mapped) segment, output goes to a
 * {@link TensorSink} in file order through one reusable off-heap chunk, so memory does not grow
 * with the tensor.
 *
 * <p>Every value is widened to double, edited in double and rounded once to the stored type.
 * Work is split so that no floating-point sum depends on the thread count: in the ROWS layout a
 * row is owned by one thread and per-row statistics are combined in row order; in the COLUMNS
 * layout a column is owned by one thread for the whole tensor and all sums run down the column.
 *
 * <p>COLUMNS needs rᵀW before it can write any row of W', so it reads the input twice (once for
 * rᵀW, once to write); holding W' whole instead would make memory grow with the tensor.
 */
public final class ProjectionKernel implements AutoCloseable {

    /** Target size of one output chunk; a chunk always holds at least one whole row. */
    static final long CHUNK_BYTES = 8L << 20;

    private final int threads;
    private final VectorOps ops;
    private final ExecutorService pool;
    private final Arena arena = Arena.ofShared();
    private MemorySegment chunk = MemorySegment.NULL;

    public ProjectionKernel(int threads) {
        this(threads, VectorOpsProvider.get());
    }

    public ProjectionKernel(int threads, VectorOps ops) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.ops = ops;
        this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "ortho-kernel");
            t.setDaemon(true);
            return t;
        });
    }

    public int threads() { return threads; }

    public String arithmetic() { return ops.name(); }

    /**
     * Writes {@code in − α·proj_r(in)} to the sink.
     *
     * @param in     the input tensor's bytes (little-endian, {@code dtype}); read by several threads, so
     *               it must come from a shared or global arena (a mapped checkpoint is)
     * @param dtype  F16, BF16, F32 or F64
     * @param shape  the tensor's shape
     * @param layout where the hidden dimension is
     * @param r      the direction, length = the hidden dimension (not renormalized here)
     * @param alpha  scale of the removal: 1 removes, 0 copies, negative adds
     */
    public ProjectionStats project(MemorySegment in, DType dtype, long[] shape, ProjectionLayout layout,
                                   double[] r, double alpha, TensorSink sink) {
        ElementCodec codec = ElementCodec.of(dtype, ops);
        long elements = 1;
        for (long d : shape) elements = Math.multiplyExact(elements, d);
        if (in.byteSize() != elements * dtype.byteSize()) {
            throw new IllegalArgumentException("input has " + in.byteSize() + " bytes, shape needs " + elements * dtype.byteSize());
        }
        return switch (layout) {
            case ROWS -> projectRows(in, codec, dtype, shape, r, alpha, sink);
            case COLUMNS -> projectColumns(in, codec, dtype, shape, r, alpha, sink);
        };
    }

    /**
     * Writes the edit of EDIT-MATH.md to the sink: for every write vector v, with coefficients
     * c_j = q_j·v of the original v, u = v − Σ_j (α·c_j) q_j (subtracted in basis order) and, when
     * {@code normPreserving}, v' = (‖v‖/‖u‖)·u (u where ‖u‖ = 0). With one vector and no norm
     * preservation this is exactly {@link #project(MemorySegment, DType, long[], ProjectionLayout, double[], double, TensorSink)}.
     *
     * @param basis orthonormal vectors q_1..q_k, each of the hidden length (not re-orthonormalized here)
     * @return stats whose leftover is the max over the basis vectors of |q_j·w'|
     */
    public ProjectionStats project(MemorySegment in, DType dtype, long[] shape, ProjectionLayout layout,
                                   List<double[]> basis, double alpha, boolean normPreserving, TensorSink sink) {
        if (basis.isEmpty()) throw new IllegalArgumentException("the basis is empty");
        if (basis.size() == 1 && !normPreserving) return project(in, dtype, shape, layout, basis.getFirst(), alpha, sink);
        ElementCodec codec = ElementCodec.of(dtype, ops);
        long elements = 1;
        for (long d : shape) elements = Math.multiplyExact(elements, d);
        if (in.byteSize() != elements * dtype.byteSize()) {
            throw new IllegalArgumentException("input has " + in.byteSize() + " bytes, shape needs " + elements * dtype.byteSize());
        }
        double[][] q = basis.toArray(double[][]::new);
        return switch (layout) {
            case ROWS -> SpanProjection.rows(this, in, codec, dtype, shape, q, alpha, normPreserving, sink);
            case COLUMNS -> SpanProjection.columns(this, in, codec, dtype, shape, q, alpha, normPreserving, sink);
        };
    }

    // ---------------------------------------------------------------- rows: hidden is the last dim

    private ProjectionStats projectRows(MemorySegment in, ElementCodec codec, DType dtype, long[] shape,
                                        double[] r, double alpha, TensorSink sink) {
        int hidden = shape.length == 0 ? 1 : Math.toIntExact(shape[shape.length - 1]);
        requireLength(r, hidden, "last");
        long rows = hidden == 0 ? 0 : (in.byteSize() / dtype.byteSize()) / hidden;
        long rowBytes = (long) hidden * dtype.byteSize();
        int rowsPerChunk = (int) Math.max(1, Math.min(Integer.MAX_VALUE, CHUNK_BYTES / Math.max(1, rowBytes)));
        MemorySegment buffer = chunkBuffer(rowsPerChunk * rowBytes);

        double sumBefore = 0, sumAfter = 0, maxLeft = 0;
        double[] before = new double[rowsPerChunk];
        double[] after = new double[rowsPerChunk];
        double[] left = new double[rowsPerChunk];
        for (long first = 0; first < rows; first += rowsPerChunk) {
            int count = (int) Math.min(rowsPerChunk, rows - first);
            long chunkFirst = first;
            runParallel(count, (from, to) -> {
                double[] x = new double[hidden];
                double[] y = new double[hidden];
                double[] dots = new double[2];
                for (int i = from; i < to; i++) {
                    codec.decode(in, (chunkFirst + i) * hidden, x, hidden);
                    ops.selfAndCross(x, r, hidden, dots);
                    before[i] = dots[0];
                    double along = dots[1];
                    ops.subtractScaled(x, alpha * along, r, hidden);
                    codec.encodeWithStats(x, hidden, buffer, (long) i * hidden, r, y, dots, ops);
                    after[i] = dots[0];
                    left[i] = Math.abs(dots[1]);
                }
            });
            // Combined in row order, so the totals do not depend on how rows were shared out.
            for (int i = 0; i < count; i++) {
                sumBefore += before[i];
                sumAfter += after[i];
                maxLeft = Math.max(maxLeft, left[i]);
            }
            sink.write(buffer.asSlice(0, count * rowBytes));
        }
        return new ProjectionStats(Math.sqrt(sumBefore), Math.sqrt(sumAfter), maxLeft);
    }

    // ------------------------------------------------- columns: hidden is the second-to-last dim

    private ProjectionStats projectColumns(MemorySegment in, ElementCodec codec, DType dtype, long[] shape,
                                           double[] r, double alpha, TensorSink sink) {
        if (shape.length < 2) throw new IllegalArgumentException("COLUMNS layout needs rank >= 2");
        int hidden = Math.toIntExact(shape[shape.length - 2]);
        int cols = Math.toIntExact(shape[shape.length - 1]);
        requireLength(r, hidden, "second-to-last");
        long matrixElements = (long) hidden * cols;
        long batches = matrixElements == 0 ? 0 : (in.byteSize() / dtype.byteSize()) / matrixElements;
        long rowBytes = (long) cols * dtype.byteSize();
        int rowsPerChunk = (int) Math.max(1, Math.min(hidden, CHUNK_BYTES / Math.max(1, rowBytes)));
        MemorySegment buffer = chunkBuffer(rowsPerChunk * rowBytes);
        List<ColumnRange> ranges = ColumnRange.split(cols, threads);

        double sumBefore = 0, sumAfter = 0, maxLeft = 0;
        for (long b = 0; b < batches; b++) {
            long base = b * matrixElements;
            for (ColumnRange range : ranges) range.reset();
            // Pass 1: v = rᵀW and Σ W² per column, each column summed top to bottom.
            forEachRange(ranges, range -> {
                for (int h = 0; h < hidden; h++) {
                    codec.columnSums(in, base + (long) h * cols + range.from, r[h], range.v, range.sumBefore,
                            range.x, range.width, ops);
                }
            });
            // Pass 2: W' = W − α r vᵀ, streamed row chunk by row chunk; rᵀW' and Σ W'² per column.
            for (int first = 0; first < hidden; first += rowsPerChunk) {
                int count = Math.min(rowsPerChunk, hidden - first);
                int chunkFirst = first;
                forEachRange(ranges, range -> {
                    for (int i = 0; i < count; i++) {
                        int h = chunkFirst + i;
                        codec.columnUpdate(in, base + (long) h * cols + range.from, alpha * r[h], r[h], range.v,
                                buffer, (long) i * cols + range.from, range.left, range.sumAfter, range.x, range.width, ops);
                    }
                });
                sink.write(buffer.asSlice(0, count * rowBytes));
            }
            for (ColumnRange range : ranges) {
                for (int j = 0; j < range.width; j++) {
                    sumBefore += range.sumBefore[j];
                    sumAfter += range.sumAfter[j];
                    maxLeft = Math.max(maxLeft, Math.abs(range.left[j]));
                }
            }
        }
        return new ProjectionStats(Math.sqrt(sumBefore), Math.sqrt(sumAfter), maxLeft);
    }

    /**
     * A contiguous range of columns owned by one worker for a whole tensor, with its running
     * per-column sums. The ranges depend on the thread count but every per-column sum runs over
     * the rows in order, so the totals (combined column by column in order) do not.
     */
    private static final class ColumnRange {
        final int from;
        final int width;
        final double[] x, v, left, sumBefore, sumAfter;

        ColumnRange(int from, int width) {
            this.from = from;
            this.width = width;
            x = new double[width];
            v = new double[width];
            left = new double[width];
            sumBefore = new double[width];
            sumAfter = new double[width];
        }

        void reset() {
            java.util.Arrays.fill(v, 0);
            java.util.Arrays.fill(left, 0);
            java.util.Arrays.fill(sumBefore, 0);
            java.util.Arrays.fill(sumAfter, 0);
        }

        /** Splits [0, cols) into at most {@code parts} ranges, boundaries on multiples of 64 columns. */
        static List<ColumnRange> split(int cols, int parts) {
            int align = 64;
            int units = Math.max(1, (cols + align - 1) / align);
            int n = Math.min(parts, units);
            List<ColumnRange> out = new ArrayList<>(n);
            int start = 0;
            for (int k = 0; k < n; k++) {
                int endUnit = (int) ((long) units * (k + 1) / n);
                int end = Math.min(cols, endUnit * align);
                if (end > start) out.add(new ColumnRange(start, end - start));
                start = end;
            }
            return out;
        }
    }

    // ------------------------------------------------------------------------------- plumbing

    interface RangeTask { void run(int from, int to); }

    private interface ColumnTask { void run(ColumnRange range); }

    VectorOps ops() { return ops; }

    void runParallel(int count, RangeTask task) {
        if (pool == null || count < 2) {
            task.run(0, count);
            return;
        }
        int parts = Math.min(threads, count);
        List<Callable<Void>> jobs = new ArrayList<>(parts);
        for (int k = 0; k < parts; k++) {
            int from = (int) ((long) count * k / parts);
            int to = (int) ((long) count * (k + 1) / parts);
            jobs.add(() -> { task.run(from, to); return null; });
        }
        invokeAll(jobs);
    }

    private void forEachRange(List<ColumnRange> ranges, ColumnTask task) {
        if (pool == null || ranges.size() < 2) {
            for (ColumnRange range : ranges) task.run(range);
            return;
        }
        List<Callable<Void>> jobs = new ArrayList<>(ranges.size());
        for (ColumnRange range : ranges) jobs.add(() -> { task.run(range); return null; });
        invokeAll(jobs);
    }

    /** Runs {@code task} once per item, items shared among the pool (each item whole on one thread). */
    <T> void forEach(List<T> items, java.util.function.Consumer<T> task) {
        if (pool == null || items.size() < 2) {
            for (T item : items) task.accept(item);
            return;
        }
        List<Callable<Void>> jobs = new ArrayList<>(items.size());
        for (T item : items) jobs.add(() -> { task.accept(item); return null; });
        invokeAll(jobs);
    }

    private void invokeAll(List<Callable<Void>> jobs) {
        try {
            for (Future<Void> f : pool.invokeAll(jobs)) f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during projection", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) throw re;
            if (c instanceof Error err) throw err;
            throw new IllegalStateException(c);
        }
    }

    MemorySegment chunkBuffer(long bytes) {
        if (chunk.byteSize() < bytes) chunk = arena.allocate(Math.max(bytes, Math.min(CHUNK_BYTES, bytes * 2)), 64);
        return chunk;
    }

    static void requireLength(double[] r, int hidden, String which) {
        if (r.length != hidden) {
            throw new IllegalArgumentException("direction has length " + r.length + " but the tensor's "
                    + which + " dimension (hidden) is " + hidden);
        }
    }

    @Override
    public void close() {
        if (pool != null) pool.shutdownNow();
        arena.close();
    }
}
