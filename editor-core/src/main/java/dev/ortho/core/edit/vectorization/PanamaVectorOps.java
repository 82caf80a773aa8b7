package dev.ortho.core.edit.vectorization;

import dev.ortho.formats.safetensors.FloatConversions;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Vector API implementation. Loaded reflectively by {@link VectorOpsProvider} only when the
 * incubator module is present, so the rest of Ortho never links against it.
 *
 * <p>The dot product keeps eight interleaved accumulators whatever the hardware width: one
 * 512-bit vector, two 256-bit vectors or four 128-bit ones, so that lane k always sums the
 * elements i ≡ k (mod 8), exactly as {@link ScalarVectorOps} does.
 */
final class PanamaVectorOps implements VectorOps {

    // Static final, not an instance field: C2 intrinsifies Vector API calls only when the species
    // is a compile-time constant. With a per-instance species every operation fell back to Java
    // code that allocates a double[] per vector (measured: 88 % of all allocation, 1.3 GB of heap
    // churned during a 4 GiB edit, and no speed-up over the scalar kernel).
    private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED.length() > DOT_LANES
            ? DoubleVector.SPECIES_512 : DoubleVector.SPECIES_PREFERRED;
    private static final int WIDTH = SPECIES.length();
    // Same lane count at narrower widths: every conversion below is lane-for-lane (part 0).
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(WIDTH * 32));
    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(WIDTH * 32));
    private static final VectorSpecies<Long> LONGS = LongVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(WIDTH * 64));
    private static final VectorSpecies<Short> SHORTS = ShortVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(WIDTH * 16));
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private PanamaVectorOps() {
        if (WIDTH > DOT_LANES || DOT_LANES % WIDTH != 0) {
            throw new IllegalArgumentException("unsupported double vector width " + WIDTH);
        }
    }

    static PanamaVectorOps preferred() {
        return new PanamaVectorOps();
    }

    @Override
    public double dot(double[] a, double[] b, int n) {
        int i = 0;
        int bound = n - (n % DOT_LANES);
        double[] lanes = new double[DOT_LANES];
        if (WIDTH == 8) {
            DoubleVector s0 = DoubleVector.zero(SPECIES);
            for (; i < bound; i += DOT_LANES) {
                s0 = DoubleVector.fromArray(SPECIES, a, i).fma(DoubleVector.fromArray(SPECIES, b, i), s0);
            }
            s0.intoArray(lanes, 0);
        } else if (WIDTH == 4) {
            DoubleVector s0 = DoubleVector.zero(SPECIES), s1 = DoubleVector.zero(SPECIES);
            for (; i < bound; i += DOT_LANES) {
                s0 = DoubleVector.fromArray(SPECIES, a, i).fma(DoubleVector.fromArray(SPECIES, b, i), s0);
                s1 = DoubleVector.fromArray(SPECIES, a, i + 4).fma(DoubleVector.fromArray(SPECIES, b, i + 4), s1);
            }
            s0.intoArray(lanes, 0);
            s1.intoArray(lanes, 4);
        } else {
            // Narrow vectors: the plain scalar order, which is the same eight-lane order.
            for (; i < bound; i += DOT_LANES) {
                for (int k = 0; k < DOT_LANES; k++) lanes[k] = Math.fma(a[i + k], b[i + k], lanes[k]);
            }
        }
        for (; i < n; i++) lanes[i % DOT_LANES] = Math.fma(a[i], b[i], lanes[i % DOT_LANES]);
        return VectorOps.combine(lanes[0], lanes[1], lanes[2], lanes[3], lanes[4], lanes[5], lanes[6], lanes[7]);
    }

    @Override
    public void selfAndCross(double[] x, double[] r, int n, double[] out) {
        if (WIDTH != 8) {
            out[0] = dot(x, x, n);
            out[1] = dot(x, r, n);
            return;
        }
        int i = 0;
        int bound = n - (n % DOT_LANES);
        DoubleVector xx = DoubleVector.zero(SPECIES), xr = DoubleVector.zero(SPECIES);
        for (; i < bound; i += DOT_LANES) {
            DoubleVector v = DoubleVector.fromArray(SPECIES, x, i);
            xx = v.fma(v, xx);
            xr = v.fma(DoubleVector.fromArray(SPECIES, r, i), xr);
        }
        double[] a = new double[DOT_LANES], b = new double[DOT_LANES];
        xx.intoArray(a, 0);
        xr.intoArray(b, 0);
        for (; i < n; i++) {
            a[i % DOT_LANES] = Math.fma(x[i], x[i], a[i % DOT_LANES]);
            b[i % DOT_LANES] = Math.fma(x[i], r[i], b[i % DOT_LANES]);
        }
        out[0] = VectorOps.combine(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
        out[1] = VectorOps.combine(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]);
    }

    @Override
    public void subtractScaled(double[] x, double s, double[] y, int n) {
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += WIDTH) {
            DoubleVector p = DoubleVector.fromArray(SPECIES, y, i).mul(s);
            DoubleVector.fromArray(SPECIES, x, i).sub(p).intoArray(x, i);
        }
        for (; i < n; i++) {
            double p = s * y[i];
            x[i] = x[i] - p;
        }
    }

    @Override
    public void accumulateScaled(double[] acc, double s, double[] x, int n) {
        int i = 0;
        DoubleVector sv = DoubleVector.broadcast(SPECIES, s);
        for (int bound = SPECIES.loopBound(n); i < bound; i += WIDTH) {
            sv.fma(DoubleVector.fromArray(SPECIES, x, i), DoubleVector.fromArray(SPECIES, acc, i)).intoArray(acc, i);
        }
        for (; i < n; i++) acc[i] = Math.fma(s, x[i], acc[i]);
    }

    @Override
    public void accumulateProducts(double[] acc, double[] x, double[] y, int n) {
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += WIDTH) {
            DoubleVector.fromArray(SPECIES, x, i)
                    .fma(DoubleVector.fromArray(SPECIES, y, i), DoubleVector.fromArray(SPECIES, acc, i))
                    .intoArray(acc, i);
        }
        for (; i < n; i++) acc[i] = Math.fma(x[i], y[i], acc[i]);
    }

    @Override
    public String name() { return "panama-" + SPECIES.vectorBitSize(); }


    // ------------------------------------------------------------------------------ BF16 codec

    @Override
    public boolean decodeBf16(MemorySegment src, long byteOffset, double[] dst, int n) {
        if (WIDTH < 4) return false; // 64-bit short vectors do not exist
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += WIDTH) widenBf16(src, byteOffset + 2L * i).intoArray(dst, i);
        for (; i < n; i++) dst[i] = Float.intBitsToFloat(src.get(SHORT_LE, byteOffset + 2L * i) << 16);
        return true;
    }

    @Override
    public boolean encodeBf16(double[] src, int n, MemorySegment dst, long byteOffset) {
        if (WIDTH < 4) return false;
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += WIDTH) {
            DoubleVector d = DoubleVector.fromArray(SPECIES, src, i);
            if (narrowNormalBf16(d, dst, byteOffset + 2L * i) == null) storeBf16(narrowBf16(d), dst, byteOffset + 2L * i);
        }
        for (; i < n; i++) dst.set(SHORT_LE, byteOffset + 2L * i, FloatConversions.doubleToBf16(src[i]));
        return true;
    }

    @Override
    public boolean encodeBf16WithStats(double[] src, int n, MemorySegment dst, long byteOffset, double[] r, double[] out) {
        if (WIDTH != DOT_LANES) return false; // the lane order of selfAndCross is one vector's here
        DoubleVector yy = DoubleVector.zero(SPECIES), yr = DoubleVector.zero(SPECIES);
        int i = 0;
        for (int bound = n - (n % DOT_LANES); i < bound; i += DOT_LANES) {
            DoubleVector d = DoubleVector.fromArray(SPECIES, src, i);
            DoubleVector y = narrowNormalBf16(d, dst, byteOffset + 2L * i);
            if (y == null) {
                IntVector o = narrowBf16(d);
                storeBf16(o, dst, byteOffset + 2L * i);
                y = (DoubleVector) o.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().convertShape(VectorOperators.F2D, SPECIES, 0);
            }
            yy = y.fma(y, yy);
            yr = y.fma(DoubleVector.fromArray(SPECIES, r, i), yr);
        }
        double[] a = new double[DOT_LANES], b = new double[DOT_LANES];
        yy.intoArray(a, 0);
        yr.intoArray(b, 0);
        for (; i < n; i++) {
            short bits = FloatConversions.doubleToBf16(src[i]);
            dst.set(SHORT_LE, byteOffset + 2L * i, bits);
            double y = Float.intBitsToFloat(bits << 16);
            a[i % DOT_LANES] = Math.fma(y, y, a[i % DOT_LANES]);
            b[i % DOT_LANES] = Math.fma(y, r[i], b[i % DOT_LANES]);
        }
        out[0] = VectorOps.combine(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
        out[1] = VectorOps.combine(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]);
        return true;
    }

    @Override
    public boolean columnSumsBf16(MemorySegment src, long byteOffset, double rh, double[] v, double[] sumSq, int n) {
        if (WIDTH < 4) return false;
        int i = 0;
        DoubleVector rv = DoubleVector.broadcast(SPECIES, rh);
        for (int bound = SPECIES.loopBound(n); i < bound; i += WIDTH) {
            DoubleVector x = widenBf16(src, byteOffset + 2L * i);
            rv.fma(x, DoubleVector.fromArray(SPECIES, v, i)).intoArray(v, i);
            x.fma(x, DoubleVector.fromArray(SPECIES, sumSq, i)).intoArray(sumSq, i);
        }
        for (; i < n; i++) {
            double x = Float.intBitsToFloat(src.get(SHORT_LE, byteOffset + 2L * i) << 16);
            v[i] = Math.fma(rh, x, v[i]);
            sumSq[i] = Math.fma(x, x, sumSq[i]);
        }
        return true;
    }

    @Override
    public boolean columnUpdateBf16(MemorySegment src, long srcOffset, double s, double rh, double[] v,
                                    MemorySegment dst, long dstOffset, double[] left, double[] sumSq, int n) {
        if (WIDTH < 4) return false;
        int i = 0;
        DoubleVector rv = DoubleVector.broadcast(SPECIES, rh);
        for (int bound = SPECIES.loopBound(n); i < bound; i += WIDTH) {
            DoubleVector x = widenBf16(src, srcOffset + 2L * i);
            DoubleVector p = DoubleVector.fromArray(SPECIES, v, i).mul(s);
            DoubleVector d = x.sub(p);
            DoubleVector y = narrowNormalBf16(d, dst, dstOffset + 2L * i);
            if (y == null) {
                IntVector out = narrowBf16(d);
                storeBf16(out, dst, dstOffset + 2L * i);
                // The value as stored, widened in registers: what decoding the output would give.
                y = (DoubleVector) out.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()
                        .convertShape(VectorOperators.F2D, SPECIES, 0);
            }
            rv.fma(y, DoubleVector.fromArray(SPECIES, left, i)).intoArray(left, i);
            y.fma(y, DoubleVector.fromArray(SPECIES, sumSq, i)).intoArray(sumSq, i);
        }
        for (; i < n; i++) {
            double x = Float.intBitsToFloat(src.get(SHORT_LE, srcOffset + 2L * i) << 16);
            double p = s * v[i];
            short b = FloatConversions.doubleToBf16(x - p);
            dst.set(SHORT_LE, dstOffset + 2L * i, b);
            double y = Float.intBitsToFloat(b << 16);
            left[i] = Math.fma(rh, y, left[i]);
            sumSq[i] = Math.fma(y, y, sumSq[i]);
        }
        return true;
    }

    // ------------------------------------------------------------------------------ F16 codec
    // JDK 25's Vector API has no half-precision lanes: F16 is widened and narrowed with integer lane
    // operations on the bit patterns, exactly as Float.float16ToFloat and FloatConversions.doubleToF16.

    @Override
    public boolean decodeF16(MemorySegment src, long byteOffset, double[] dst, int n) {
        if (WIDTH < 4) return false;
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += WIDTH) widenF16(src, byteOffset + 2L * i).intoArray(dst, i);
        for (; i < n; i++) dst[i] = Float.float16ToFloat(src.get(SHORT_LE, byteOffset + 2L * i));
        return true;
    }

    @Override
    public boolean encodeF16(double[] src, int n, MemorySegment dst, long byteOffset) {
        if (WIDTH < 4) return false;
        int[] pending = pending(n);
        int np = 0, i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += WIDTH) {
            LongVector rounded = roundF16(DoubleVector.fromArray(SPECIES, src, i));
            if (rounded == null) pending[np++] = i;
            else storeF16(rounded, dst, byteOffset + 2L * i);
        }
        // Vectors with a lane outside F16's normal range, element by element, after the vector loop: a call
        // inside it would make the compiler box the vectors live across it.
        for (int k = 0; k < np; k++) {
            for (int j = pending[k]; j < pending[k] + WIDTH; j++) dst.set(SHORT_LE, byteOffset + 2L * j, FloatConversions.doubleToF16(src[j]));
        }
        for (; i < n; i++) dst.set(SHORT_LE, byteOffset + 2L * i, FloatConversions.doubleToF16(src[i]));
        return true;
    }

    @Override
    public boolean encodeF16WithStats(double[] src, int n, MemorySegment dst, long byteOffset, double[] r, double[] out) {
        if (WIDTH != DOT_LANES) return false;
        DoubleVector yy = DoubleVector.zero(SPECIES), yr = DoubleVector.zero(SPECIES);
        int i = 0;
        boolean all = true;
        for (int bound = n - (n % DOT_LANES); i < bound; i += DOT_LANES) {
            LongVector rounded = roundF16(DoubleVector.fromArray(SPECIES, src, i));
            if (rounded == null) {
                all = false;
                break;
            }
            storeF16(rounded, dst, byteOffset + 2L * i);
            DoubleVector y = rounded.and(~LOW_42).reinterpretAsDoubles();
            yy = y.fma(y, yy);
            yr = y.fma(DoubleVector.fromArray(SPECIES, r, i), yr);
        }
        // A vector outside F16's normal range: the separate steps for the whole row (the sums must run in lane
        // order, so they cannot skip a vector and come back to it).
        if (!all) return false;
        double[] a = new double[DOT_LANES], b = new double[DOT_LANES];
        yy.intoArray(a, 0);
        yr.intoArray(b, 0);
        for (; i < n; i++) {
            short bits = FloatConversions.doubleToF16(src[i]);
            dst.set(SHORT_LE, byteOffset + 2L * i, bits);
            double y = Float.float16ToFloat(bits);
            a[i % DOT_LANES] = Math.fma(y, y, a[i % DOT_LANES]);
            b[i % DOT_LANES] = Math.fma(y, r[i], b[i % DOT_LANES]);
        }
        out[0] = VectorOps.combine(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
        out[1] = VectorOps.combine(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]);
        return true;
    }

    @Override
    public boolean columnSumsF16(MemorySegment src, long byteOffset, double rh, double[] v, double[] sumSq, int n) {
        if (WIDTH < 4) return false;
        int i = 0;
        DoubleVector rv = DoubleVector.broadcast(SPECIES, rh);
        for (int bound = SPECIES.loopBound(n); i < bound; i += WIDTH) {
            DoubleVector x = widenF16(src, byteOffset + 2L * i);
            rv.fma(x, DoubleVector.fromArray(SPECIES, v, i)).intoArray(v, i);
            x.fma(x, DoubleVector.fromArray(SPECIES, sumSq, i)).intoArray(sumSq, i);
        }
        for (; i < n; i++) {
            double x = Float.float16ToFloat(src.get(SHORT_LE, byteOffset + 2L * i));
            v[i] = Math.fma(rh, x, v[i]);
            sumSq[i] = Math.fma(x, x, sumSq[i]);
        }
        return true;
    }

    @Override
    public boolean columnUpdateF16(MemorySegment src, long srcOffset, double s, double rh, double[] v,
                                   MemorySegment dst, long dstOffset, double[] left, double[] sumSq, int n) {
        if (WIDTH < 4) return false;
        int[] pending = pending(n);
        int np = 0, i = 0;
        DoubleVector rv = DoubleVector.broadcast(SPECIES, rh);
        for (int bound = SPECIES.loopBound(n); i < bound; i += WIDTH) {
            DoubleVector x = widenF16(src, srcOffset + 2L * i);
            LongVector rounded = roundNormalF16(x.sub(DoubleVector.fromArray(SPECIES, v, i).mul(s)));
            if (rounded == null) {
                pending[np++] = i;
                continue;
            }
            storeNormalF16(rounded, dst, dstOffset + 2L * i);
            DoubleVector y = rounded.and(~LOW_42).reinterpretAsDoubles(); // the value as stored
            rv.fma(y, DoubleVector.fromArray(SPECIES, left, i)).intoArray(left, i);
            y.fma(y, DoubleVector.fromArray(SPECIES, sumSq, i)).intoArray(sumSq, i);
        }
        // A lane outside F16's normal range (zero, subnormal, overflow): those vectors element by element, after
        // the vector loop (each element is still updated once, with the same operations).
        for (int k = 0; k < np; k++) {
            for (int j = pending[k]; j < pending[k] + WIDTH; j++) updateF16(src, srcOffset, s, rh, v, dst, dstOffset, left, sumSq, j);
        }
        for (; i < n; i++) updateF16(src, srcOffset, s, rh, v, dst, dstOffset, left, sumSq, i);
        return true;
    }

    private static final ThreadLocal<int[]> PENDING = ThreadLocal.withInitial(() -> new int[0]);

    /** Scratch for the starts of vectors left to the scalar path: one per vector of a row at most. */
    private static int[] pending(int n) {
        int[] a = PENDING.get();
        if (a.length < n / WIDTH + 1) PENDING.set(a = new int[n / WIDTH + 1]);
        return a;
    }

    /** One element of {@link #columnUpdateF16}, the scalar way (the same operations lane by lane). */
    private static void updateF16(MemorySegment src, long srcOffset, double s, double rh, double[] v,
                                  MemorySegment dst, long dstOffset, double[] left, double[] sumSq, int i) {
        double x = Float.float16ToFloat(src.get(SHORT_LE, srcOffset + 2L * i));
        double p = s * v[i];
        short b = FloatConversions.doubleToF16(x - p);
        dst.set(SHORT_LE, dstOffset + 2L * i, b);
        double y = Float.float16ToFloat(b);
        left[i] = Math.fma(rh, y, left[i]);
        sumSq[i] = Math.fma(y, y, sumSq[i]);
    }

    private static final long DOUBLE_EXPONENT = 0x7FF0_0000_0000_0000L;
    private static final long DOUBLE_QUIET = 1L << 51;

    /**
     * WIDTH F16 values at {@code byteOffset}, widened exactly to double. The 15 magnitude bits placed at the
     * top of a double's exponent and significand make a double 2^1008 times too small (a subnormal one for
     * an F16 subnormal or zero), so one exact multiplication by 2^1008 rescales normals and subnormals
     * alike. Infinities and NaNs (all-ones exponent) get the double's all-ones exponent instead, a NaN its
     * payload and the quiet bit, as Float.float16ToFloat followed by the float-to-double conversion give.
     */
    private static DoubleVector widenF16(MemorySegment src, long byteOffset) {
        ShortVector raw = ShortVector.fromMemorySegment(SHORTS, src, byteOffset, ByteOrder.LITTLE_ENDIAN);
        LongVector h = (LongVector) raw.convertShape(VectorOperators.S2L, LONGS, 0);
        LongVector placed = h.and(0x7FFF).lanewise(VectorOperators.LSHL, 42);
        LongVector bits = placed.reinterpretAsDoubles().mul(0x1p1008).reinterpretAsLongs();
        VectorMask<Long> special = placed.compare(VectorOperators.GE, 0x1FL << 52);
        if (special.anyTrue()) {
            LongVector nonFinite = placed.or(DOUBLE_EXPONENT).lanewise(VectorOperators.OR, DOUBLE_QUIET,
                    placed.compare(VectorOperators.GT, 0x1FL << 52));
            bits = bits.blend(nonFinite, special);
        }
        return bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 48)).reinterpretAsDoubles();
    }

    private static final long LOW_42 = (1L << 42) - 1;
    private static final long F16_BIAS_SHIFT = (1023L - 15) << 10;

    /**
     * F16 rounding of WIDTH doubles on their bits, a single correct rounding (nearest even) as
     * {@code FloatConversions.doubleToF16} gives, for every lane whose input is finite and below F16's overflow
     * threshold. In F16's normal range (|x| ≥ 2^-14) it is an integer add at the 11th significant bit; below it
     * (zeros, and the subnormals that weights often contain) the magnitude is rounded to a multiple of 2^-24 by
     * adding and subtracting 2^52 to |x|·2^24, all exact in double. Returns the bits of the rounded values as
     * doubles with the low 42 bits clear (the stored value is {@code rounded & ~LOW_42}), or null when a lane
     * is infinite, NaN or rounds past 65504.
     */
    private static LongVector roundF16(DoubleVector d) {
        LongVector bits = d.reinterpretAsLongs();
        LongVector magnitude = bits.and(Long.MAX_VALUE);
        // Finite and below 2^16 before rounding (so the add below cannot carry into the sign), and below after.
        if (!magnitude.compare(VectorOperators.LT, 1039L << 52).allTrue()) return null;
        LongVector rounded = bits.add(LOW_42 >>> 1).add(bits.lanewise(VectorOperators.LSHR, 42).and(1));
        if (!rounded.and(Long.MAX_VALUE).compare(VectorOperators.LT, 1039L << 52).allTrue()) return null;
        VectorMask<Long> small = magnitude.compare(VectorOperators.LT, 1009L << 52);
        if (small.anyTrue()) {
            LongVector sub = magnitude.reinterpretAsDoubles().mul(0x1p24).add(0x1p52).sub(0x1p52).mul(0x1p-24)
                    .reinterpretAsLongs().or(bits.and(Long.MIN_VALUE));
            rounded = rounded.blend(sub, small);
        }
        return rounded;
    }

    /**
     * {@link #roundF16} for vectors entirely in F16's normal range (null otherwise), without the branch for small
     * values: the column update's loop stays small enough for C2 to keep every vector in registers (with the full
     * version inlined there, it boxed them: 541 MB allocated per 4096×11008 projection, twice the time). Vectors
     * it refuses go to that loop's element-by-element pass.
     */
    private static LongVector roundNormalF16(DoubleVector d) {
        LongVector bits = d.reinterpretAsLongs();
        LongVector magnitude = bits.and(Long.MAX_VALUE);
        LongVector rounded = bits.add(LOW_42 >>> 1).add(bits.lanewise(VectorOperators.LSHR, 42).and(1));
        VectorMask<Long> normal = magnitude.compare(VectorOperators.GE, 1009L << 52).and(magnitude.compare(VectorOperators.LT, 1039L << 52))
                .and(rounded.and(Long.MAX_VALUE).compare(VectorOperators.LT, 1039L << 52));
        return normal.allTrue() ? rounded : null;
    }

    /** Writes {@link #roundNormalF16}'s values as F16: sign, re-biased exponent, 10-bit significand. */
    private static void storeNormalF16(LongVector rounded, MemorySegment dst, long byteOffset) {
        LongVector top = rounded.lanewise(VectorOperators.LSHR, 42);
        LongVector f16 = top.and(0x1FFFFF).sub(F16_BIAS_SHIFT).or(top.lanewise(VectorOperators.LSHR, 21).lanewise(VectorOperators.LSHL, 15));
        ((ShortVector) f16.convertShape(VectorOperators.L2S, SHORTS, 0)).intoMemorySegment(dst, byteOffset, ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Writes {@link #roundF16}'s values as F16: sign, re-biased exponent and 10-bit significand for normals; sign
     * and significand (the value times 2^24) below 2^-14.
     */
    private static void storeF16(LongVector rounded, MemorySegment dst, long byteOffset) {
        LongVector top = rounded.lanewise(VectorOperators.LSHR, 42); // sign, 11-bit exponent, 10-bit significand
        LongVector sign = top.lanewise(VectorOperators.LSHR, 21).lanewise(VectorOperators.LSHL, 15);
        LongVector f16 = top.and(0x1FFFFF).sub(F16_BIAS_SHIFT).or(sign);
        LongVector magnitude = rounded.and(Long.MAX_VALUE);
        VectorMask<Long> small = magnitude.compare(VectorOperators.LT, 1009L << 52);
        if (small.anyTrue()) {
            LongVector significand = magnitude.reinterpretAsDoubles().mul(0x1p24).add(0x1p52).reinterpretAsLongs().and(0x7FF);
            f16 = f16.blend(significand.or(sign), small);
        }
        ((ShortVector) f16.convertShape(VectorOperators.L2S, SHORTS, 0)).intoMemorySegment(dst, byteOffset, ByteOrder.LITTLE_ENDIAN);
    }

    /** WIDTH BF16 values at {@code byteOffset}, widened exactly: zero-extend to the top of a float, then to double. */
    private static DoubleVector widenBf16(MemorySegment src, long byteOffset) {
        ShortVector raw = ShortVector.fromMemorySegment(SHORTS, src, byteOffset, ByteOrder.LITTLE_ENDIAN);
        IntVector bits = ((IntVector) raw.convertShape(VectorOperators.S2I, INTS, 0)).lanewise(VectorOperators.LSHL, 16);
        return (DoubleVector) bits.reinterpretAsFloats().convertShape(VectorOperators.F2D, SPECIES, 0);
    }

    private static final long LOW_45 = (1L << 45) - 1;

    /**
     * The common case of {@link #narrowBf16}, on the double's bits: when every lane lies in BF16's
     * normal range before and after rounding (no zero, subnormal, overflow, Inf or NaN), rounding
     * to nearest even at the 8th significant bit is an integer add on the 64-bit pattern, and the
     * exponent is re-biased. That is exactly what round-to-odd to float followed by nearest-even
     * to BF16 gives there (the float step keeps more than two extra bits). Writes the BF16 values
     * and returns them as doubles (the stored values, exactly); returns null, writing nothing, when
     * a lane is outside that range, for the general path.
     */
    private static DoubleVector narrowNormalBf16(DoubleVector d, MemorySegment dst, long byteOffset) {
        LongVector bits = d.reinterpretAsLongs();
        LongVector rounded = bits.add(LOW_45 >>> 1).add(bits.lanewise(VectorOperators.LSHR, 45).and(1));
        // Float's normal exponents are 1..254, i.e. 897..1150 in double's bias: compared on the magnitudes' bits,
        // the input's too (a NaN with a full payload carries into the sign bit when rounded, and would pass).
        LongVector magnitude = bits.and(Long.MAX_VALUE);
        VectorMask<Long> normal = magnitude.compare(VectorOperators.GE, 897L << 52).and(magnitude.compare(VectorOperators.LT, 1151L << 52))
                .and(rounded.and(Long.MAX_VALUE).compare(VectorOperators.LT, 1151L << 52));
        if (!normal.allTrue()) return null;
        // The rounded value is a BF16 value exactly: converting it to float is exact, and a float's top half is BF16.
        DoubleVector y = rounded.and(~LOW_45).reinterpretAsDoubles();
        IntVector f = ((FloatVector) y.convertShape(VectorOperators.D2F, FLOATS, 0)).reinterpretAsInts();
        storeBf16(f.lanewise(VectorOperators.LSHR, 16), dst, byteOffset);
        return y;
    }

    /**
     * Rounds WIDTH doubles once to BF16, bit-identical to {@code FloatConversions.doubleToBf16}; the
     * result's low 16 bits of each int lane are the BF16 bits.
     */
    private static IntVector narrowBf16(DoubleVector d) {
        // Round to odd: the nearest-even float, stepped toward zero when it rounded away, then
        // its last bit set whenever the conversion was inexact (see FloatConversions).
        FloatVector f = (FloatVector) d.convertShape(VectorOperators.D2F, FLOATS, 0);
        DoubleVector back = (DoubleVector) f.convertShape(VectorOperators.F2D, SPECIES, 0);
        VectorMask<Integer> inexact = back.compare(VectorOperators.NE, d).cast(INTS);
        VectorMask<Integer> away = back.abs().compare(VectorOperators.GT, d.abs()).cast(INTS);
        IntVector fbits = f.reinterpretAsInts();
        IntVector odd = fbits.lanewise(VectorOperators.SUB, 1, away.and(inexact)).lanewise(VectorOperators.OR, 1, inexact);
        VectorMask<Integer> special = fbits.and(0x7F80_0000).compare(VectorOperators.EQ, 0x7F80_0000); // Inf, NaN
        IntVector bits = odd.blend(fbits, special);
        // Float to BF16, nearest even; a NaN keeps its top payload and is forced quiet.
        IntVector lsb = bits.lanewise(VectorOperators.LSHR, 16).and(1);
        IntVector rounded = bits.add(0x7FFF).add(lsb).lanewise(VectorOperators.LSHR, 16);
        VectorMask<Integer> nan = special.and(bits.and(0x007F_FFFF).compare(VectorOperators.NE, 0));
        return rounded.blend(bits.lanewise(VectorOperators.LSHR, 16).or(0x0040), nan);
    }

    private static void storeBf16(IntVector bf16, MemorySegment dst, long byteOffset) {
        ((ShortVector) bf16.convertShape(VectorOperators.I2S, SHORTS, 0)).intoMemorySegment(dst, byteOffset, ByteOrder.LITTLE_ENDIAN);
    }
}
