package dev.ortho.core.audit;

import dev.ortho.core.edit.ElementCodec;
import dev.ortho.core.edit.ProjectionLayout;

import java.lang.foreign.MemorySegment;

/**
 * A tensor seen as a sequence of vectors of one space (for residual writers: their write vectors in the
 * hidden space), read in blocks straight from the mapping so that no whole tensor is ever copied to the heap.
 *
 * <p>{@link ProjectionLayout#ROWS}: every run of {@code dim} elements along the last axis is a vector.
 * {@link ProjectionLayout#COLUMNS}: the tensor is {@code [batch, dim, inner]} (batch 1 for a matrix) and
 * every column of each {@code [dim, inner]} matrix is a vector.
 *
 * @param layout where the vector space sits
 * @param dim    length of one vector
 * @param batch  leading matrices (fused experts); 1 otherwise
 * @param inner  vectors per matrix for COLUMNS; for ROWS the number of rows
 */
public record HiddenVectors(ProjectionLayout layout, int dim, long batch, long inner) {

    /** Elements per block aimed at: a few MiB of doubles per buffer, whatever the shape. */
    static final int BLOCK_ELEMENTS = 1 << 18;

    public static HiddenVectors of(ProjectionLayout layout, long[] shape) {
        int n = shape.length;
        if (layout == ProjectionLayout.ROWS) {
            long dim = n == 0 ? 1 : shape[n - 1];
            long rows = 1;
            for (int i = 0; i < n - 1; i++) rows *= shape[i];
            return new HiddenVectors(layout, Math.toIntExact(dim), 1, rows);
        }
        if (n < 2) throw new IllegalArgumentException("a column layout needs at least 2 dimensions");
        long batch = 1;
        for (int i = 0; i < n - 2; i++) batch *= shape[i];
        return new HiddenVectors(layout, Math.toIntExact(shape[n - 2]), batch, shape[n - 1]);
    }

    /** Number of vectors. */
    public long count() { return batch * inner; }

    /** Vectors per block: about {@link #BLOCK_ELEMENTS} elements (64 write vectors at hidden 4096), at least one. */
    public int blockVectors() {
        return (int) Math.max(1, Math.min(count(), BLOCK_ELEMENTS / Math.max(1, dim)));
    }

    /** Calls {@code visitor} for consecutive ranges of vectors of at most {@code max}, never crossing a matrix. */
    public void forEachRange(int max, RangeVisitor visitor) {
        for (long b = 0; b < batch; b++) {
            for (long c = 0; c < inner; c += max) {
                visitor.range(b * inner + c, (int) Math.min(max, inner - c));
            }
        }
    }

    /**
     * Decodes vectors {@code [first, first + n)} (within one matrix) into {@code out[j * dim + i]}.
     *
     * @param run scratch of at least {@code n} doubles (COLUMNS only)
     */
    public void read(ElementCodec codec, MemorySegment data, long first, int n, double[] out, double[] run) {
        if (layout == ProjectionLayout.ROWS) {
            codec.decode(data, first * dim, out, n * dim);
            return;
        }
        long b = first / inner, c = first % inner;
        long base = b * dim * inner + c;
        for (int i = 0; i < dim; i++) {
            codec.decode(data, base + (long) i * inner, run, n);
            for (int j = 0; j < n; j++) out[j * dim + i] = run[j];
        }
    }

    @FunctionalInterface
    public interface RangeVisitor {
        void range(long first, int n);
    }
}
