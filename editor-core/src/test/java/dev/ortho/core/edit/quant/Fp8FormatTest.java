package dev.ortho.core.edit.quant;

import dev.ortho.fixtures.QuantizedFixtures;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The 8-bit float codec against the format's definition (the fixtures' exhaustive, independent codec). */
class Fp8FormatTest {

    @Test
    void e4m3DecodesEveryCodeAsDefined() {
        for (int c = 0; c < 256; c++) {
            double want = QuantizedFixtures.decodeE4m3((byte) c), got = Fp8Format.E4M3.decode((byte) c);
            if (Double.isNaN(want)) assertTrue(Double.isNaN(got), "code " + c);
            else assertEquals(want, got, 0.0, "code " + c);
        }
        assertEquals(448.0, Fp8Format.E4M3.max());
        assertEquals(0x1p-9, Fp8Format.E4M3.decode((byte) 1));
    }

    @Test
    void e4m3EncodesNearestEvenWithSaturation() {
        SplittableRandom rnd = new SplittableRandom(1);
        for (int i = 0; i < 20000; i++) {
            double x = rnd.nextGaussian() * Math.pow(2, rnd.nextInt(-12, 10));
            assertEquals(QuantizedFixtures.encodeE4m3(x), Fp8Format.E4M3.encode(x), "x=" + x);
        }
        // Every midpoint between adjacent codes rounds to the even one.
        for (int c = 0; c < 0x7E; c++) {
            double mid = (Fp8Format.E4M3.decode((byte) c) + Fp8Format.E4M3.decode((byte) (c + 1))) / 2;
            int even = (c & 1) == 0 ? c : c + 1;
            assertEquals((byte) even, Fp8Format.E4M3.encode(mid), "midpoint after code " + c);
            assertEquals((byte) (even | 0x80), Fp8Format.E4M3.encode(-mid));
        }
        assertEquals((byte) 0x7E, Fp8Format.E4M3.encode(1e9), "saturates to 448, never NaN");
        assertEquals((byte) 0xFE, Fp8Format.E4M3.encode(-500));
        assertEquals((byte) 0x80, Fp8Format.E4M3.encode(-0.0));
        assertEquals((byte) 0x7F, Fp8Format.E4M3.encode(Double.NaN));
    }

    @Test
    void fastEncoderEqualsTheSearchOverTheCodeTable() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (Fp8Format f : Fp8Format.values()) {
            for (int c = 0; c < 256; c++) {
                double v = f.decode((byte) c);
                if (!Double.isFinite(v)) continue;
                double next = c < 255 ? f.decode((byte) (c + 1)) : v;
                for (double x : new double[]{v, Math.nextUp(v), Math.nextDown(v), (v + next) / 2, Math.nextUp((v + next) / 2),
                        Math.nextDown((v + next) / 2), -v, v * 1.03, v * 0.97}) {
                    assertEquals(f.encodeBySearch(x), f.encode(x), f + " x=" + x);
                }
            }
            for (int i = 0; i < 200000; i++) {
                double x = rnd.nextGaussian() * Math.scalb(1.0, rnd.nextInt(-30, 20));
                assertEquals(f.encodeBySearch(x), f.encode(x), f + " x=" + x);
            }
        }
    }

    @Test
    void e5m2IsIeeeLike() {
        assertEquals(57344.0, Fp8Format.E5M2.max());
        assertEquals(Double.POSITIVE_INFINITY, Fp8Format.E5M2.decode((byte) 0x7C));
        assertTrue(Double.isNaN(Fp8Format.E5M2.decode((byte) 0x7D)));
        assertEquals(1.0, Fp8Format.E5M2.decode((byte) 0x3C));
        assertEquals(0x1p-16, Fp8Format.E5M2.decode((byte) 1));
        assertEquals((byte) 0x7B, Fp8Format.E5M2.encode(1e9));
        assertEquals((byte) 0x3C, Fp8Format.E5M2.encode(1.1));
    }

    @Test
    void halfUlpBoundsTheRoundingError() {
        SplittableRandom rnd = new SplittableRandom(2);
        for (int i = 0; i < 20000; i++) {
            double x = rnd.nextDouble(-448, 448);
            byte c = Fp8Format.E4M3.encode(x);
            assertTrue(Math.abs(Fp8Format.E4M3.decode(c) - x) <= Fp8Format.E4M3.halfUlp(c), "x=" + x);
        }
    }
}
