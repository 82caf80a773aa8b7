package dev.ortho.core.edit.quant;

import dev.ortho.formats.safetensors.DType;

/**
 * The two 8-bit float formats of safetensors checkpoints, decoded exactly to double and encoded
 * with round-to-nearest-even and saturation to the largest finite value (what
 * {@code clamp(x, -max, max).to(float8)} does in the published FP8 quantizers).
 *
 * <p>{@code F8_E4M3} is torch's {@code float8_e4m3fn}: bias 7, no infinities, one NaN per sign
 * (S.1111.111), largest finite 448. {@code F8_E5M2} is IEEE-like: bias 15, infinities, largest
 * finite 57344.
 */
public enum Fp8Format {
    E4M3(DType.F8_E4M3, "e4m3", 4, 3, 7, false),
    E5M2(DType.F8_E5M2, "e5m2", 5, 2, 15, true);

    private final DType dtype;
    private final String configName;
    private final int mantBits, bias;
    private final double[] decode = new double[256];
    /** Non-negative finite values by code, ascending (codes 0..maxCode are monotone). */
    private final double[] positive;
    private final int maxCode;

    Fp8Format(DType dtype, String configName, int expBits, int mantBits, int bias, boolean ieeeSpecials) {
        this.dtype = dtype;
        this.configName = configName;
        this.mantBits = mantBits;
        this.bias = bias;
        int expMax = (1 << expBits) - 1, mantMask = (1 << mantBits) - 1;
        int lastFinite = -1;
        for (int code = 0; code < 256; code++) {
            int e = (code >> mantBits) & expMax, m = code & mantMask;
            boolean negative = (code & 0x80) != 0;
            double v;
            if (ieeeSpecials && e == expMax) v = m == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
            else if (!ieeeSpecials && e == expMax && m == mantMask) v = Double.NaN;
            else if (e == 0) v = Math.scalb((double) m, 1 - bias - mantBits);
            else v = Math.scalb((double) ((1 << mantBits) | m), e - bias - mantBits);
            decode[code] = negative ? -v : v;
            if (!negative && Double.isFinite(v)) lastFinite = code;
        }
        this.maxCode = lastFinite;
        this.positive = new double[maxCode + 1];
        System.arraycopy(decode, 0, positive, 0, maxCode + 1);
    }

    public DType dtype() { return dtype; }

    /** The {@code fmt} value of a quantization_config. */
    public String configName() { return configName; }

    /** Largest finite value (448 for E4M3, 57344 for E5M2). */
    public double max() { return positive[maxCode]; }

    public double decode(byte code) { return decode[code & 0xFF]; }

    /**
     * The code nearest to x, ties to the even code (the even mantissa), |x| beyond the largest
     * finite value saturating to it; NaN encodes as NaN. The sign of zero is kept.
     */
    public byte encode(double x) {
        if (Double.isNaN(x)) return (byte) 0x7F; // the NaN code of both formats
        int sign = (Double.doubleToRawLongBits(x) < 0) ? 0x80 : 0;
        double a = Math.abs(x);
        int code;
        if (a >= positive[maxCode]) {
            code = maxCode;
        } else if (a == 0) {
            code = 0;
        } else {
            // The grid step at a's binade (or the subnormal step) is a power of two, so a / step is exact
            // and rint rounds it to nearest-even once; a carry into the next binade falls out of the sum.
            int e = Math.max(Math.getExponent(a), 1 - bias);
            double q = Math.rint(Math.scalb(a, mantBits - e));
            code = e == 1 - bias && q < (1 << mantBits) ? (int) q
                    : ((e + bias) << mantBits) + (int) q - (1 << mantBits);
            if (code > maxCode) code = maxCode;
        }
        return (byte) (code | sign);
    }

    /** Reference encoder by search over the code table (for tests of {@link #encode}). */
    byte encodeBySearch(double x) {
        if (Double.isNaN(x)) return (byte) 0x7F;
        double a = Math.abs(x);
        int sign = (Double.doubleToRawLongBits(x) < 0) ? 0x80 : 0;
        int code;
        if (a >= positive[maxCode]) {
            code = maxCode;
        } else {
            int lo = 0, hi = maxCode; // invariant: positive[lo] <= a < positive[hi]
            while (hi - lo > 1) {
                int mid = (lo + hi) >>> 1;
                if (positive[mid] <= a) lo = mid; else hi = mid;
            }
            // Midpoints of adjacent 8-bit floats are exact in double, so this is one correct rounding.
            double half = (positive[lo] + positive[hi]) / 2;
            if (a < half) code = lo;
            else if (a > half) code = hi;
            else code = (lo & 1) == 0 ? lo : hi;
        }
        return (byte) (code | sign);
    }

    /** The decode table: value of code c at index c (for bulk decoding). */
    double[] table() { return decode; }

    /** Half the gap between |decode(code)| and its neighbours: the largest rounding error encode made to reach it. */
    public double halfUlp(byte code) {
        int c = code & 0x7F;
        if (c > maxCode) return Double.NaN;
        double below = c == 0 ? positive[1] : positive[c] - positive[c - 1];
        double above = c == maxCode ? below : positive[c + 1] - positive[c];
        return Math.max(below, above) / 2;
    }

    public static Fp8Format of(DType dtype) {
        for (Fp8Format f : values()) if (f.dtype == dtype) return f;
        throw new IllegalArgumentException(dtype + " is not an 8-bit float type");
    }
}
