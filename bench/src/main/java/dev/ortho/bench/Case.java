package dev.ortho.bench;

import dev.ortho.core.edit.ProjectionLayout;
import dev.ortho.formats.safetensors.DType;
import dev.ortho.formats.safetensors.FloatConversions;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/** A benchmark tensor: shape and layout parsed from "ROWSxCOLS/LAYOUT", values seeded. */
record Case(long[] shape, ProjectionLayout layout) {

    static Case parse(String s) {
        String[] p = s.split("/");
        String[] d = p[0].split("x");
        return new Case(new long[]{Long.parseLong(d[0]), Long.parseLong(d[1])}, ProjectionLayout.valueOf(p[1]));
    }

    static MemorySegment fill(Arena arena, long elements, DType t) {
        MemorySegment m = arena.allocate(elements * t.byteSize(), 64);
        SplittableRandom rnd = new SplittableRandom(42);
        var S = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        var F = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < elements; i++) {
            float v = (float) (rnd.nextGaussian() * 0.05);
            switch (t) {
                case BF16 -> m.setAtIndex(S, i, FloatConversions.floatToBf16(v));
                case F16 -> m.setAtIndex(S, i, FloatConversions.floatToF16(v));
                case F32 -> m.setAtIndex(F, i, v);
                default -> throw new IllegalArgumentException(t.name());
            }
        }
        return m;
    }

    static double[] direction(int n) {
        SplittableRandom rnd = new SplittableRandom(7);
        double[] r = new double[n];
        double s = 0;
        for (int i = 0; i < n; i++) {
            r[i] = rnd.nextGaussian();
            s += r[i] * r[i];
        }
        for (int i = 0; i < n; i++) r[i] /= Math.sqrt(s);
        return r;
    }
}
