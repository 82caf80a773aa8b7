package dev.ortho.core.edit;

import dev.ortho.formats.safetensors.DType;
import dev.ortho.formats.safetensors.FloatConversions;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Widens stored floats to double (exactly) and rounds doubles back to the stored type (once,
 * nearest-even). The kernel computes every edit in double between these two calls.
 */
public sealed interface ElementCodec {

    ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    ValueLayout.OfDouble DOUBLE_LE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Reads n elements starting at element index {@code first} of src into dst[0..n). */
    void decode(MemorySegment src, long first, double[] dst, int n);

    /** Rounds src[0..n) to the stored type, writes them at element index {@code first} of dst. */
    void encode(double[] src, int n, MemorySegment dst, long first);

    /** The value src[i] will have once stored: the double of the rounded element. */
    double rounded(double value);

    /**
     * One row segment of the COLUMNS layout's first pass: x = the {@code n} elements at element
     * {@code first} of src; v[i] ← fma(rh, x[i], v[i]), sumSq[i] ← fma(x[i], x[i], sumSq[i]).
     * {@code x} is scratch of at least n.
     */
    default void columnSums(MemorySegment src, long first, double rh, double[] v, double[] sumSq, double[] x, int n,
                            dev.ortho.core.edit.vectorization.VectorOps ops) {
        decode(src, first, x, n);
        ops.accumulateScaled(v, rh, x, n);
        ops.accumulateProducts(sumSq, x, x, n);
    }

    /**
     * One row segment of the COLUMNS layout's second pass: x = the elements at {@code first} of src,
     * x − s·v rounded once and written at element {@code dstFirst} of dst; then, with y the values as
     * stored, left[i] ← fma(rh, y[i], left[i]) and sumSq[i] ← fma(y[i], y[i], sumSq[i]).
     */
    default void columnUpdate(MemorySegment src, long first, double s, double rh, double[] v, MemorySegment dst,
                              long dstFirst, double[] left, double[] sumSq, double[] x, int n,
                              dev.ortho.core.edit.vectorization.VectorOps ops) {
        decode(src, first, x, n);
        ops.subtractScaled(x, s, v, n);
        encode(x, n, dst, dstFirst);
        decode(dst, dstFirst, x, n);
        ops.accumulateScaled(left, rh, x, n);
        ops.accumulateProducts(sumSq, x, x, n);
    }

    /**
     * Encodes a row of the ROWS layout ({@code n} values to element {@code first} of dst) and returns, in out, the
     * statistics of the values as stored: out[0] = y·y, out[1] = y·r ({@link dev.ortho.core.edit.vectorization.VectorOps#selfAndCross}
     * of the decoded output). {@code y} is scratch of at least n.
     */
    default void encodeWithStats(double[] src, int n, MemorySegment dst, long first, double[] r, double[] y, double[] out,
                                 dev.ortho.core.edit.vectorization.VectorOps ops) {
        encode(src, n, dst, first);
        decode(dst, first, y, n);
        ops.selfAndCross(y, r, n, out);
    }

    public static ElementCodec of(DType dtype) {
        return of(dtype, null);
    }

    /** With {@code ops}, BF16 and F16 use their vectorized codecs where they have them (bit-identical results). */
    static ElementCodec of(DType dtype, dev.ortho.core.edit.vectorization.VectorOps ops) {
        return switch (dtype) {
            case F32 -> new F32();
            case BF16 -> new Bf16(ops);
            case F16 -> new F16(ops);
            case F64 -> new F64();
            default -> throw new IllegalArgumentException("no arithmetic on " + dtype + "; it can only be copied");
        };
    }

    record F32() implements ElementCodec {
        public void decode(MemorySegment src, long first, double[] dst, int n) {
            float[] raw = Scratch.floats(n);
            MemorySegment.copy(src, FLOAT_LE, first * 4, raw, 0, n);
            for (int i = 0; i < n; i++) dst[i] = raw[i];
        }

        public void encode(double[] src, int n, MemorySegment dst, long first) {
            float[] raw = Scratch.floats(n);
            for (int i = 0; i < n; i++) raw[i] = (float) src[i];
            MemorySegment.copy(raw, 0, dst, FLOAT_LE, first * 4, n);
        }

        public double rounded(double value) { return (float) value; }
    }

    record F64() implements ElementCodec {
        public void decode(MemorySegment src, long first, double[] dst, int n) {
            long off = first * 8;
            for (int i = 0; i < n; i++) dst[i] = src.get(DOUBLE_LE, off + 8L * i);
        }

        public void encode(double[] src, int n, MemorySegment dst, long first) {
            long off = first * 8;
            for (int i = 0; i < n; i++) dst.set(DOUBLE_LE, off + 8L * i, src[i]);
        }

        public double rounded(double value) { return value; }
    }

    record Bf16(dev.ortho.core.edit.vectorization.VectorOps ops) implements ElementCodec {
        public void decode(MemorySegment src, long first, double[] dst, int n) {
            if (ops != null && ops.decodeBf16(src, first * 2, dst, n)) return;
            short[] raw = Scratch.shorts(n);
            MemorySegment.copy(src, SHORT_LE, first * 2, raw, 0, n);
            for (int i = 0; i < n; i++) dst[i] = Float.intBitsToFloat(raw[i] << 16);
        }

        public void encode(double[] src, int n, MemorySegment dst, long first) {
            if (ops != null && ops.encodeBf16(src, n, dst, first * 2)) return;
            short[] raw = Scratch.shorts(n);
            for (int i = 0; i < n; i++) raw[i] = FloatConversions.doubleToBf16(src[i]);
            MemorySegment.copy(raw, 0, dst, SHORT_LE, first * 2, n);
        }

        public double rounded(double value) { return FloatConversions.bf16ToFloat(FloatConversions.doubleToBf16(value)); }

        @Override
        public void encodeWithStats(double[] src, int n, MemorySegment dst, long first, double[] r, double[] y, double[] out,
                                    dev.ortho.core.edit.vectorization.VectorOps ops) {
            if (ops.encodeBf16WithStats(src, n, dst, first * 2, r, out)) return;
            ElementCodec.super.encodeWithStats(src, n, dst, first, r, y, out, ops);
        }

        // Fused where the vector ops have it: widening, arithmetic, rounding and the statistics of
        // the rounded value in registers, one read of the input row and one write of the output.
        @Override
        public void columnSums(MemorySegment src, long first, double rh, double[] v, double[] sumSq, double[] x, int n,
                               dev.ortho.core.edit.vectorization.VectorOps ops) {
            if (ops.columnSumsBf16(src, first * 2, rh, v, sumSq, n)) return;
            ElementCodec.super.columnSums(src, first, rh, v, sumSq, x, n, ops);
        }

        @Override
        public void columnUpdate(MemorySegment src, long first, double s, double rh, double[] v, MemorySegment dst,
                                 long dstFirst, double[] left, double[] sumSq, double[] x, int n,
                                 dev.ortho.core.edit.vectorization.VectorOps ops) {
            if (ops.columnUpdateBf16(src, first * 2, s, rh, v, dst, dstFirst * 2, left, sumSq, n)) return;
            ElementCodec.super.columnUpdate(src, first, s, rh, v, dst, dstFirst, left, sumSq, x, n, ops);
        }
    }

    record F16(dev.ortho.core.edit.vectorization.VectorOps ops) implements ElementCodec {
        public void decode(MemorySegment src, long first, double[] dst, int n) {
            if (ops != null && ops.decodeF16(src, first * 2, dst, n)) return;
            short[] raw = Scratch.shorts(n);
            MemorySegment.copy(src, SHORT_LE, first * 2, raw, 0, n);
            for (int i = 0; i < n; i++) dst[i] = Float.float16ToFloat(raw[i]);
        }

        public void encode(double[] src, int n, MemorySegment dst, long first) {
            if (ops != null && ops.encodeF16(src, n, dst, first * 2)) return;
            short[] raw = Scratch.shorts(n);
            for (int i = 0; i < n; i++) raw[i] = FloatConversions.doubleToF16(src[i]);
            MemorySegment.copy(raw, 0, dst, SHORT_LE, first * 2, n);
        }

        public double rounded(double value) { return Float.float16ToFloat(FloatConversions.doubleToF16(value)); }

        @Override
        public void encodeWithStats(double[] src, int n, MemorySegment dst, long first, double[] r, double[] y, double[] out,
                                    dev.ortho.core.edit.vectorization.VectorOps ops) {
            if (ops.encodeF16WithStats(src, n, dst, first * 2, r, out)) return;
            ElementCodec.super.encodeWithStats(src, n, dst, first, r, y, out, ops);
        }

        @Override
        public void columnSums(MemorySegment src, long first, double rh, double[] v, double[] sumSq, double[] x, int n,
                               dev.ortho.core.edit.vectorization.VectorOps ops) {
            if (ops.columnSumsF16(src, first * 2, rh, v, sumSq, n)) return;
            ElementCodec.super.columnSums(src, first, rh, v, sumSq, x, n, ops);
        }

        @Override
        public void columnUpdate(MemorySegment src, long first, double s, double rh, double[] v, MemorySegment dst,
                                 long dstFirst, double[] left, double[] sumSq, double[] x, int n,
                                 dev.ortho.core.edit.vectorization.VectorOps ops) {
            if (ops.columnUpdateF16(src, first * 2, s, rh, v, dst, dstFirst * 2, left, sumSq, n)) return;
            ElementCodec.super.columnUpdate(src, first, s, rh, v, dst, dstFirst, left, sumSq, x, n, ops);
        }
    }

    /**
     * Per-thread staging arrays: one bulk copy between the segment and a Java array is several
     * times faster than an element-wise access with its bounds and liveness checks per value.
     */
    final class Scratch {
        private static final ThreadLocal<short[]> SHORTS = ThreadLocal.withInitial(() -> new short[0]);
        private static final ThreadLocal<float[]> FLOATS = ThreadLocal.withInitial(() -> new float[0]);

        private Scratch() {}

        static short[] shorts(int n) {
            short[] a = SHORTS.get();
            if (a.length < n) SHORTS.set(a = new short[n]);
            return a;
        }

        static float[] floats(int n) {
            float[] a = FLOATS.get();
            if (a.length < n) FLOATS.set(a = new float[n]);
            return a;
        }
    }
}
