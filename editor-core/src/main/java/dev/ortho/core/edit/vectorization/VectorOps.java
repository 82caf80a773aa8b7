package dev.ortho.core.edit.vectorization;

/**
 * The arithmetic primitives of the projection kernel, over double arrays.
 *
 * <p>Implementations must return bit-identical results: every reduction follows one fixed
 * evaluation order, {@link #DOT_LANES} interleaved fused-multiply-add accumulators combined by a
 * fixed pairwise tree, so that a run on the scalar fallback, on 256-bit or on 512-bit vectors
 * gives the same bytes. That is what makes edits reproducible across machines, not only across
 * thread counts.
 */
public interface VectorOps {

    /** Number of interleaved accumulators of {@link #dot}: element i goes to accumulator i % 8. */
    int DOT_LANES = 8;

    /** Σ a[i]·b[i] for i in [0, n), in the fixed order described above. */
    double dot(double[] a, double[] b, int n);

    /**
     * {x·x, x·r} in one pass over x, each with exactly the evaluation order of {@link #dot}, so the
     * results equal two separate calls bit for bit.
     */
    default void selfAndCross(double[] x, double[] r, int n, double[] out) {
        out[0] = dot(x, x, n);
        out[1] = dot(x, r, n);
    }

    /** x[i] ← x[i] − s·y[i] for i in [0, n): the product rounded, then the difference (no FMA). */
    void subtractScaled(double[] x, double s, double[] y, int n);

    /** acc[i] ← fma(s, x[i], acc[i]) for i in [0, n): each lane in sequence, no reduction. */
    void accumulateScaled(double[] acc, double s, double[] x, int n);

    /** acc[i] ← fma(x[i], y[i], acc[i]) for i in [0, n). */
    void accumulateProducts(double[] acc, double[] x, double[] y, int n);

    /**
     * Optional fast path: widens {@code n} BF16 values at byte offset {@code byteOffset} of
     * {@code src} (little-endian) into {@code dst}, exactly. Returns false, doing nothing, where not
     * implemented; the caller then uses its scalar code.
     */
    default boolean decodeBf16(java.lang.foreign.MemorySegment src, long byteOffset, double[] dst, int n) { return false; }

    /**
     * Optional fast path: rounds {@code src[0..n)} once to BF16 (round-to-odd to float, then
     * nearest-even; bit-identical to {@code FloatConversions.doubleToBf16}) and writes them at byte
     * offset {@code byteOffset} of {@code dst}. Returns false, doing nothing, where not implemented.
     */
    default boolean encodeBf16(double[] src, int n, java.lang.foreign.MemorySegment dst, long byteOffset) { return false; }

    /**
     * Optional fast path, one row of the COLUMNS layout's first pass over BF16 input, fused: with x
     * the {@code n} values widened from {@code src} at {@code byteOffset}, v[i] ← fma(rh, x[i], v[i])
     * and sumSq[i] ← fma(x[i], x[i], sumSq[i]). Bit-identical to decoding, then
     * {@link #accumulateScaled} and {@link #accumulateProducts}; false where not implemented.
     */
    default boolean columnSumsBf16(java.lang.foreign.MemorySegment src, long byteOffset, double rh,
                                   double[] v, double[] sumSq, int n) { return false; }

    /**
     * Optional fast path, one row of the COLUMNS layout's second pass over BF16, fused: with x
     * widened from {@code src}, y = bf16(x[i] − s·v[i]) (product rounded, then difference, then one
     * rounding as {@link #encodeBf16}) is written to {@code dst} at {@code dstOffset}, and, with y
     * the stored value widened, left[i] ← fma(rh, y, left[i]) and sumSq[i] ← fma(y, y, sumSq[i]).
     * Bit-identical to decode, {@link #subtractScaled}, encode, decode, {@link #accumulateScaled},
     * {@link #accumulateProducts}; false where not implemented.
     */
    default boolean columnUpdateBf16(java.lang.foreign.MemorySegment src, long srcOffset, double s, double rh,
                                     double[] v, java.lang.foreign.MemorySegment dst, long dstOffset,
                                     double[] left, double[] sumSq, int n) { return false; }

    /**
     * Optional fast path: widens {@code n} F16 (IEEE binary16) values at byte offset {@code byteOffset} of
     * {@code src} into {@code dst}, exactly ({@code Float.float16ToFloat}). False where not implemented.
     */
    default boolean decodeF16(java.lang.foreign.MemorySegment src, long byteOffset, double[] dst, int n) { return false; }

    /**
     * Optional fast path: rounds {@code src[0..n)} once to F16, nearest even, bit-identical to
     * {@code FloatConversions.doubleToF16}. False where not implemented.
     */
    default boolean encodeF16(double[] src, int n, java.lang.foreign.MemorySegment dst, long byteOffset) { return false; }

    /** {@link #columnSumsBf16} for F16 input. */
    default boolean columnSumsF16(java.lang.foreign.MemorySegment src, long byteOffset, double rh,
                                  double[] v, double[] sumSq, int n) { return false; }

    /** {@link #columnUpdateBf16} for F16, rounding as {@link #encodeF16}. */
    default boolean columnUpdateF16(java.lang.foreign.MemorySegment src, long srcOffset, double s, double rh,
                                    double[] v, java.lang.foreign.MemorySegment dst, long dstOffset,
                                    double[] left, double[] sumSq, int n) { return false; }

    /**
     * Optional fast path, one row of the ROWS layout's output, fused: {@link #encodeBf16} of {@code src}, and with y
     * the stored values, out[0] = y·y and out[1] = y·r, bit-identical to decoding the output and {@link #selfAndCross}.
     * False, doing nothing, where not implemented.
     */
    default boolean encodeBf16WithStats(double[] src, int n, java.lang.foreign.MemorySegment dst, long byteOffset,
                                        double[] r, double[] out) { return false; }

    /**
     * {@link #encodeBf16WithStats} for F16, rounding as {@link #encodeF16}. False also when a value of the row is
     * outside F16's normal range: the caller then does the separate steps, which write the whole row again.
     */
    default boolean encodeF16WithStats(double[] src, int n, java.lang.foreign.MemorySegment dst, long byteOffset,
                                       double[] r, double[] out) { return false; }

    /** Short name for logs and the manifest, e.g. "panama-256" or "scalar". */
    String name();

    /** Combines the 8 accumulators in the fixed tree order shared by all implementations. */
    static double combine(double a0, double a1, double a2, double a3,
                          double a4, double a5, double a6, double a7) {
        return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
    }
}
