package dev.ortho.core.edit.quant;

import dev.ortho.core.edit.ElementCodec;
import dev.ortho.core.edit.ProjectionLayout;
import dev.ortho.core.edit.vectorization.VectorOps;
import dev.ortho.formats.safetensors.DType;
import dev.ortho.formats.safetensors.FloatConversions;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Edits one block-FP8 weight: dequantize exactly to float64, apply the projection rule of its
 * layout with the kernel's own float64 primitives ({@link VectorOps}, in the kernel's order, so W'
 * is bit for bit what {@code ProjectionKernel} computes on the dequantized tensor), then store W'
 * either requantized with recomputed block scales or as BF16.
 *
 * <p>Requantization follows DeepSeek-V3's {@code weight_quant} (and transformers' {@code
 * Fp8Quantize}): per block {@code scale_inv = amax(|W'|) / max} (max = 448 for E4M3), stored in
 * the scale tensor's type, and each value {@code q = round(W' / scale_inv)} with round-to-nearest-
 * even and saturation; a block of zeros gets scale_inv 1 (as transformers does; DeepSeek's kernel
 * would divide by zero). The division is done in float64 where the reference kernels use float32:
 * it is one rounding fewer, and identical unless a value sits within 2⁻²⁴ of a rounding midpoint.
 *
 * <p>Work goes in stripes of one block row (bm rows): memory is a stripe of doubles per thread (at
 * most 256 MiB in all) plus the output tensor (1 byte per element, 2 for BF16), whatever the layout.
 * Stripes run in parallel; every sum runs in an order fixed by the tensor's shape, not by the thread
 * count, so output bytes and statistics are identical for any number of threads.
 */
public final class Fp8BlockEdit {

    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** How the edited weight is stored. */
    public enum Output {
        /** FP8 with recomputed block scales (the default). */
        REQUANTIZE("requantized"),
        /** BF16, its scale tensor dropped ({@code --dequantize-edited}). */
        DEQUANTIZE_BF16("dequantized-bf16");

        private final String manifestName;

        Output(String manifestName) { this.manifestName = manifestName; }

        public String manifestName() { return manifestName; }
    }

    /**
     * @param weight stored bytes: FP8 [rows, cols], or BF16 for {@link Output#DEQUANTIZE_BF16}
     * @param scale  the new scale_inv bytes in the input scale's type; null for BF16 output
     */
    public record Result(MemorySegment weight, MemorySegment scale, Fp8EditStats stats) {}

    private Fp8BlockEdit() {}

    /** As below, on one thread. */
    public static Result edit(MemorySegment weight, MemorySegment scale, DType scaleDtype, long[] shape,
                              Fp8BlockScheme scheme, ProjectionLayout layout, double[] r, double alpha,
                              Output output, VectorOps ops, Arena arena) {
        return edit(weight, scale, scaleDtype, shape, scheme, layout, r, alpha, output, ops, arena, Parallel.SEQUENTIAL);
    }

    /**
     * @param weight     the FP8 weight [rows, cols]
     * @param scale      its scale_inv [ceil(rows/bm), ceil(cols/bn)], of type scaleDtype
     * @param layout     COLUMNS: rows are the hidden dimension (nn.Linear writers); ROWS: cols are
     * @param r          unit direction, length hidden
     * @param arena      where the output segments are allocated (the caller frees them); a shared arena
     *                   when {@code parallel} has more than one thread
     * @param parallel   threads; the output and every statistic are identical for any width (columns
     *                   of rᵀW are each summed by one task down the rows; block rows are independent
     *                   and their statistics combined in block-row order)
     */
    public static Result edit(MemorySegment weight, MemorySegment scale, DType scaleDtype, long[] shape,
                              Fp8BlockScheme scheme, ProjectionLayout layout, double[] r, double alpha,
                              Output output, VectorOps ops, Arena arena, Parallel parallel) {
        if (shape.length != 2) throw new IllegalArgumentException("block FP8 needs a 2-D weight, got rank " + shape.length);
        int rows = Math.toIntExact(shape[0]), cols = Math.toIntExact(shape[1]);
        int hidden = layout == ProjectionLayout.COLUMNS ? rows : cols;
        if (r.length != hidden) throw new IllegalArgumentException("direction length " + r.length + " != hidden " + hidden);
        long[] sShape = scheme.scaleShape(rows, cols);
        int sRows = (int) sShape[0], sCols = (int) sShape[1];
        ElementCodec scaleCodec = ElementCodec.of(scaleDtype);
        if (scale.byteSize() != (long) sRows * sCols * scaleDtype.byteSize() || weight.byteSize() != (long) rows * cols) {
            throw new IllegalArgumentException("weight or scale size does not match the shapes");
        }
        double[] inScales = new double[sRows * sCols];
        scaleCodec.decode(scale, 0, inScales, inScales.length);
        int bm = scheme.blockRows(), bn = scheme.blockCols();

        MemorySegment outWeight = arena.allocate((long) rows * cols * (output == Output.REQUANTIZE ? 1 : 2), 64);
        MemorySegment outScale = output == Output.REQUANTIZE ? arena.allocate(scale.byteSize(), 64) : null;

        // Pass 1 (COLUMNS only): v = rᵀW, each column summed down the rows in order by one task.
        double[] v = null;
        if (layout == ProjectionLayout.COLUMNS) {
            v = new double[cols];
            int parts = Math.max(1, Math.min(parallel.width(), (cols + 63) / 64));
            double[] vv = v;
            parallel.run(parts, k -> {
                int c0 = (int) ((long) cols * k / parts), c1 = (int) ((long) cols * (k + 1) / parts);
                double[] x = new double[c1 - c0], acc = new double[c1 - c0];
                for (int h = 0; h < rows; h++) {
                    decodeRange(weight, inScales, scheme.format(), h, cols, c0, c1, bm, bn, sCols, x);
                    ops.accumulateScaled(acc, r[h], x, c1 - c0);
                }
                System.arraycopy(acc, 0, vv, c0, c1 - c0);
            });
        }

        // Pass 2: block rows, a batch of them at a time (memory: one stripe of doubles per task).
        long stripeBytes = 8L * Math.min(bm, rows) * cols;
        int batch = (int) Math.max(1, Math.min(parallel.width(), (256L << 20) / Math.max(1, stripeBytes)));
        Stripe[] stripes = new Stripe[Math.min(batch, sRows)];
        Totals total = new Totals(layout == ProjectionLayout.COLUMNS ? cols : 0);
        for (int first = 0; first < sRows; first += stripes.length) {
            int n = Math.min(stripes.length, sRows - first), base = first;
            double[] vv = v;
            parallel.run(n, k -> {
                if (stripes[k] == null) stripes[k] = new Stripe(Math.min(bm, rows), cols, sCols, layout == ProjectionLayout.COLUMNS);
                stripes[k].run(base + k, weight, inScales, scheme, layout, r, alpha, vv, output, ops, scaleCodec,
                        outWeight, outScale, rows, cols, sCols);
            });
            for (int k = 0; k < n; k++) total.add(stripes[k]);
        }
        double deltaNorm = Math.sqrt(total.delta2);
        Fp8EditStats stats = new Fp8EditStats(Math.sqrt(total.sumBefore), Math.sqrt(total.sumAfter), total.maxLeft(), deltaNorm,
                Math.sqrt(total.stored2), deltaNorm == 0 ? 0 : total.along / deltaNorm, Math.sqrt(total.err2),
                Math.sqrt(total.compBefore2(v)), Math.sqrt(total.compAfter2()));
        return new Result(outWeight, outScale, stats);
    }

    /** Sums over the whole tensor, combined stripe by stripe in block-row order. */
    private static final class Totals {
        double sumBefore, sumAfter, delta2, stored2, along, err2, rowsCompBefore2, rowsCompAfter2, rowsMaxLeft;
        final double[] afterAlong;

        Totals(int cols) { afterAlong = new double[cols]; }

        void add(Stripe s) {
            sumBefore += s.sumBefore;
            sumAfter += s.sumAfter;
            delta2 += s.delta2;
            stored2 += s.stored2;
            along += s.along;
            err2 += s.err2;
            rowsCompBefore2 += s.compBefore2;
            rowsCompAfter2 += s.compAfter2;
            rowsMaxLeft = Math.max(rowsMaxLeft, s.maxLeft);
            for (int j = 0; j < afterAlong.length; j++) afterAlong[j] += s.afterAlong[j];
        }

        double compBefore2(double[] v) {
            if (v == null) return rowsCompBefore2;
            double c = 0;
            for (double x : v) c += x * x;
            return c;
        }

        double compAfter2() {
            if (afterAlong.length == 0) return rowsCompAfter2;
            double c = 0;
            for (double x : afterAlong) c += x * x;
            return c;
        }

        double maxLeft() {
            double m = rowsMaxLeft;
            for (double x : afterAlong) m = Math.max(m, Math.abs(x));
            return m;
        }
    }

    /** One block row's work and its partial statistics (buffers reused across stripes by one task). */
    private static final class Stripe {
        final double[][] edited;
        final double[] w, stored, amax, newScales, afterAlong, dots = new double[2];
        final byte[] codes;
        final short[] halves;
        double sumBefore, sumAfter, delta2, stored2, along, err2, compBefore2, compAfter2, maxLeft;

        Stripe(int bm, int cols, int sCols, boolean columns) {
            edited = new double[bm][cols];
            w = new double[cols];
            stored = new double[cols];
            codes = new byte[cols];
            halves = new short[cols];
            amax = new double[sCols];
            newScales = new double[sCols];
            afterAlong = new double[columns ? cols : 0];
        }

        void run(int stripe, MemorySegment weight, double[] inScales, Fp8BlockScheme scheme, ProjectionLayout layout,
                 double[] r, double alpha, double[] v, Output output, VectorOps ops, ElementCodec scaleCodec,
                 MemorySegment outWeight, MemorySegment outScale, int rows, int cols, int sCols) {
            Fp8Format fmt = scheme.format();
            int bm = scheme.blockRows(), bn = scheme.blockCols();
            int first = stripe * bm, count = Math.min(bm, rows - first);
            sumBefore = sumAfter = delta2 = stored2 = along = err2 = compBefore2 = compAfter2 = maxLeft = 0;
            java.util.Arrays.fill(amax, 0);
            java.util.Arrays.fill(afterAlong, 0);
            for (int i = 0; i < count; i++) {
                int h = first + i;
                double[] e = edited[i];
                decodeRow(weight, inScales, fmt, h, cols, bm, bn, sCols, e);
                for (int j = 0; j < cols; j++) sumBefore += e[j] * e[j];
                if (layout == ProjectionLayout.COLUMNS) {
                    ops.subtractScaled(e, alpha * r[h], v, cols);
                } else {
                    ops.selfAndCross(e, r, cols, dots);
                    compBefore2 += dots[1] * dots[1];
                    ops.subtractScaled(e, alpha * dots[1], r, cols);
                }
                for (int b = 0, j0 = 0; j0 < cols; b++, j0 += bn) {
                    double m = amax[b];
                    for (int j = j0, end = Math.min(cols, j0 + bn); j < end; j++) m = Math.max(m, Math.abs(e[j]));
                    amax[b] = m;
                }
            }
            if (output == Output.REQUANTIZE) {
                for (int c = 0; c < sCols; c++) {
                    double s = amax[c] == 0 ? 1.0 : scaleCodec.rounded(amax[c] / fmt.max());
                    if (!(s > 0) || !Double.isFinite(s)) s = 1.0; // underflow of a tiny block: all its values round to 0
                    newScales[c] = s;
                }
                scaleCodec.encode(newScales, sCols, outScale, (long) stripe * sCols);
            }
            double[] table = fmt.table();
            for (int i = 0; i < count; i++) {
                int h = first + i;
                double[] e = edited[i];
                long at = (long) h * cols;
                if (output == Output.REQUANTIZE) {
                    for (int b = 0, j0 = 0; j0 < cols; b++, j0 += bn) {
                        double s = newScales[b];
                        for (int j = j0, end = Math.min(cols, j0 + bn); j < end; j++) {
                            byte q = fmt.encode(e[j] / s);
                            codes[j] = q;
                            stored[j] = table[q & 0xFF] * s;
                        }
                    }
                    MemorySegment.copy(codes, 0, outWeight, ValueLayout.JAVA_BYTE, at, cols);
                } else {
                    for (int j = 0; j < cols; j++) {
                        short b = FloatConversions.doubleToBf16(e[j]);
                        halves[j] = b;
                        stored[j] = FloatConversions.bf16ToFloat(b);
                    }
                    MemorySegment.copy(halves, 0, outWeight, SHORT_LE, 2 * at, cols);
                }
                decodeRow(weight, inScales, fmt, h, cols, bm, bn, sCols, w);
                for (int j = 0; j < cols; j++) {
                    double y = stored[j];
                    double d = e[j] - w[j], sd = y - w[j], er = y - e[j];
                    delta2 += d * d;
                    stored2 += sd * sd;
                    along += sd * d;
                    err2 += er * er;
                    sumAfter += y * y;
                }
                if (layout == ProjectionLayout.COLUMNS) {
                    ops.accumulateScaled(afterAlong, r[h], stored, cols);
                } else {
                    ops.selfAndCross(stored, r, cols, dots);
                    compAfter2 += dots[1] * dots[1];
                    maxLeft = Math.max(maxLeft, Math.abs(dots[1]));
                }
            }
        }
    }

    /** Row h of the dequantized weight: each 8-bit value times its block's scale_inv, exact in double. */
    static void decodeRow(MemorySegment weight, double[] scales, Fp8Format fmt, int h, int cols, int bm, int bn,
                          int sCols, double[] out) {
        byte[] raw = ROW_BYTES.get();
        if (raw.length < cols) ROW_BYTES.set(raw = new byte[cols]);
        MemorySegment.copy(weight, ValueLayout.JAVA_BYTE, (long) h * cols, raw, 0, cols);
        double[] table = fmt.table();
        int sRow = (h / bm) * sCols;
        for (int b = 0, j0 = 0; j0 < cols; b++, j0 += bn) {
            double s = scales[sRow + b];
            for (int j = j0, end = Math.min(cols, j0 + bn); j < end; j++) out[j] = table[raw[j] & 0xFF] * s;
        }
    }

    /** Columns [c0, c1) of row h, dequantized, into out[0 .. c1 − c0). */
    static void decodeRange(MemorySegment weight, double[] scales, Fp8Format fmt, int h, int cols, int c0, int c1,
                            int bm, int bn, int sCols, double[] out) {
        byte[] raw = ROW_BYTES.get();
        if (raw.length < c1 - c0) ROW_BYTES.set(raw = new byte[c1 - c0]);
        MemorySegment.copy(weight, ValueLayout.JAVA_BYTE, (long) h * cols + c0, raw, 0, c1 - c0);
        double[] table = fmt.table();
        int sRow = (h / bm) * sCols;
        for (int j = c0; j < c1; j++) out[j - c0] = table[raw[j - c0] & 0xFF] * scales[sRow + j / bn];
    }

    private static final ThreadLocal<byte[]> ROW_BYTES = ThreadLocal.withInitial(() -> new byte[0]);

    /** The whole tensor dequantized to double, row-major (for tests and small tensors). */
    public static double[] dequantize(MemorySegment weight, MemorySegment scale, DType scaleDtype, long[] shape,
                                      Fp8BlockScheme scheme) {
        int rows = Math.toIntExact(shape[0]), cols = Math.toIntExact(shape[1]);
        long[] sShape = scheme.scaleShape(rows, cols);
        double[] scales = new double[(int) (sShape[0] * sShape[1])];
        ElementCodec.of(scaleDtype).decode(scale, 0, scales, scales.length);
        double[] out = new double[rows * cols], row = new double[cols];
        for (int h = 0; h < rows; h++) {
            decodeRow(weight, scales, scheme.format(), h, cols, scheme.blockRows(), scheme.blockCols(), (int) sShape[1], row);
            System.arraycopy(row, 0, out, h * cols, cols);
        }
        return out;
    }
}
