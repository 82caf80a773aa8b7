package dev.ortho.formats.safetensors;

/**
 * Bit-level conversions between the stored float formats and Java floats/doubles.
 *
 * <p>Every narrowing rounds to nearest, ties to even, and keeps NaN a NaN (quiet, sign preserved).
 * Narrowing from double goes through float with <em>round-to-odd</em>, which makes the two-step
 * conversion equal to a single correct rounding (float has 24 significant bits, more than the 8 + 2
 * of BF16 and the 11 + 2 of F16 that double rounding needs to be innocuous). The edit is computed
 * in double and must be rounded exactly once to the stored type.
 */
public final class FloatConversions {

    private FloatConversions() {}

    /** BF16 bits (low 16 bits of the argument) to float: exact. */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** float to BF16 bits, round to nearest even, NaN kept quiet. */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7F80_0000) == 0x7F80_0000 && (bits & 0x007F_FFFF) != 0) {
            // NaN: keep sign and top payload bits, force the quiet bit so truncation can't make it Inf.
            return (short) ((bits >>> 16) | 0x0040);
        }
        int lsb = (bits >>> 16) & 1;
        int rounded = bits + 0x7FFF + lsb;
        return (short) (rounded >>> 16);
    }

    /** F16 bits to float: exact. */
    public static float f16ToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    /** float to F16 bits, round to nearest even (IEEE 754 binary16), NaN kept. */
    public static short floatToF16(float f) {
        return Float.floatToFloat16(f);
    }

    /** double to float, round to nearest even (Java's cast). */
    public static float doubleToFloat(double d) {
        return (float) d;
    }

    /**
     * double to float rounded to odd: if the conversion is inexact, the result is whichever
     * neighbouring float has an odd significand. Only ever used as the first step of a double
     * rounding to a narrower format.
     */
    static float doubleToFloatRoundToOdd(double d) {
        float f = (float) d;
        int bits = Float.floatToRawIntBits(f);
        // Branch-free on the hot path (the kernel calls this once per edited element): when inexact,
        // truncate toward zero (step back one ulp if nearest-even rounded away) and set the last bit.
        int inexact = (double) f != d ? 1 : 0;
        int roundedAway = Math.abs((double) f) > Math.abs(d) ? 1 : 0;
        int odd = (bits - (roundedAway & inexact)) | inexact;
        // NaN keeps its payload; an overflow to Inf stays Inf (the narrow result is Inf either way).
        return Float.isFinite(f) ? Float.intBitsToFloat(odd) : f;
    }

    /** double to BF16 bits with a single correct rounding (nearest even). */
    public static short doubleToBf16(double d) {
        return floatToBf16(doubleToFloatRoundToOdd(d));
    }

    /** double to F16 bits with a single correct rounding (nearest even). */
    public static short doubleToF16(double d) {
        return floatToF16(doubleToFloatRoundToOdd(d));
    }
}
