package dev.ortho.formats.safetensors;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** Narrowing conversions against an exact BigDecimal reference: one correct rounding, ties to even. */
class FloatConversionsTest {

    @Test
    void bf16FromFloatIsExhaustivelyNearestEven() {
        for (long bits = 0; bits <= 0xFFFF_FFFFL; bits += 0x101) {
            float f = Float.intBitsToFloat((int) bits);
            short got = FloatConversions.floatToBf16(f);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(FloatConversions.bf16ToFloat(got)), "NaN must stay NaN");
                continue;
            }
            assertEquals(referenceBf16(f), got, () -> "float " + f);
        }
    }

    @Test
    void doubleNarrowingIsASingleCorrectRounding() {
        SplittableRandom rnd = new SplittableRandom(1234);
        for (int i = 0; i < 300_000; i++) {
            double d = switch (i % 4) {
                case 0 -> rnd.nextGaussian();
                case 1 -> Double.longBitsToDouble(rnd.nextLong()); // any bit pattern, NaNs and infinities included
                case 2 -> nearTie(rnd, 7);   // near a BF16 tie
                default -> nearTie(rnd, 10); // near an F16 tie
            };
            short bf = FloatConversions.doubleToBf16(d);
            short h = FloatConversions.doubleToF16(d);
            if (Double.isNaN(d)) {
                assertTrue(Float.isNaN(FloatConversions.bf16ToFloat(bf)));
                assertTrue(Float.isNaN(FloatConversions.f16ToFloat(h)));
                continue;
            }
            assertEquals(nearest(d, 8, -133, 127), (double) FloatConversions.bf16ToFloat(bf), () -> "bf16 of " + d);
            assertEquals(nearest(d, 11, -24, 15), (double) FloatConversions.f16ToFloat(h), () -> "f16 of " + d);
        }
    }

    @Test
    void specialValues() {
        assertEquals((short) 0x8000, FloatConversions.doubleToBf16(-0.0));
        assertEquals((short) 0x7F80, FloatConversions.doubleToBf16(Double.POSITIVE_INFINITY));
        assertEquals((short) 0x7F80, FloatConversions.doubleToBf16(1e300), "overflow rounds to infinity");
        assertEquals((short) 0x0000, FloatConversions.doubleToBf16(1e-300), "underflow rounds to zero");
        assertEquals((short) 0x7C00, FloatConversions.doubleToF16(70000.0));
        // 1 + 2^-8 is exactly halfway between two BF16 values: ties go to even (1.0).
        assertEquals(FloatConversions.floatToBf16(1.0f), FloatConversions.doubleToBf16(1 + 0x1p-8));
        // Just above the tie must round up, although a float cast first would round it to the tie.
        assertEquals(FloatConversions.floatToBf16(1.0f + 0x1p-7f), FloatConversions.doubleToBf16(1 + 0x1p-8 + 0x1p-40));
    }

    private static double nearTie(SplittableRandom rnd, int mantissaBits) {
        double base = Math.scalb(1.0 + rnd.nextInt(1 << mantissaBits) / (double) (1 << mantissaBits), rnd.nextInt(-10, 10));
        double half = Math.scalb(Math.ulp(1.0) * (1L << (52 - mantissaBits)) / 2, Math.getExponent(base));
        return (rnd.nextBoolean() ? -1 : 1) * (base + half + Math.scalb(rnd.nextInt(-3, 4), Math.getExponent(base) - 50));
    }

    /** Round x to p significant bits, exponent range [emin.. emax] (subnormals below), ties to even; in exact arithmetic. */
    private static double nearest(double x, int p, int eminSub, int emax) {
        if (Double.isInfinite(x)) return x;
        if (x == 0) return x;
        BigDecimal v = new BigDecimal(x);
        double ax = Math.abs(x);
        int e = Math.max(Math.getExponent(ax), eminSub + p - 1); // subnormals share the smallest exponent
        BigDecimal quantum = new BigDecimal(Math.scalb(1.0, e - (p - 1)));
        BigDecimal q = v.divide(quantum, MathContext.UNLIMITED);
        BigDecimal rounded = q.setScale(0, java.math.RoundingMode.HALF_EVEN).multiply(quantum);
        double r = rounded.doubleValue();
        double max = Math.scalb(2.0 - Math.scalb(1.0, -(p - 1)), emax);
        double overflow = Math.scalb(2.0 - Math.scalb(1.0, -p), emax);
        if (Math.abs(r) > max || ax >= overflow) return Math.copySign(Double.POSITIVE_INFINITY, x);
        return r == 0 ? Math.copySign(0.0, x) : r;
    }

    /** The nearer of the two BF16 neighbours of f (exact in double), the even one on a tie. */
    private static short referenceBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int down = bits & 0xFFFF_0000;
        int up = down + 0x1_0000;
        double lo = Float.intBitsToFloat(down), hi = Float.intBitsToFloat(up);
        if (Float.isInfinite(f)) return (short) (bits >>> 16);
        // Above the largest BF16 the next "value" is 2^128: rounding there means overflow to infinity.
        if (Double.isInfinite(hi)) hi = Math.copySign(0x1p128, f);
        double dLo = Math.abs(f - lo), dHi = Math.abs(hi - f);
        if (dLo < dHi) return (short) (down >>> 16);
        if (dHi < dLo) return (short) (up >>> 16);
        return (short) (((down >>> 16) & 1) == 0 ? down >>> 16 : up >>> 16);
    }
}
