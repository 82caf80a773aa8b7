package dev.ortho.core.audit;

import dev.ortho.formats.safetensors.DType;

/** Unit roundoff and ulp of the stored float types, for bounds on what rounding alone can change. */
final class FloatRounding {

    private FloatRounding() {}

    /** u: the largest relative error of rounding to nearest. */
    static double unitRoundoff(DType t) { return t.unitRoundoff(); }

    /** The spacing of stored values of type {@code t} at {@code x} (a value of that type). */
    static double ulp(DType t, double x) {
        return switch (t) {
            case F32 -> Math.ulp((float) x);
            // BF16 keeps float's exponent range with 16 fewer significand bits.
            case BF16 -> Math.ulp((float) x) * 0x1p16;
            // F16: 13 fewer significand bits than float, subnormal spacing 2^-24.
            case F16 -> Math.max(Math.ulp((float) x) * 0x1p13, 0x1p-24);
            case F64 -> Math.ulp(x);
            default -> throw new IllegalArgumentException(t.name());
        };
    }
}
