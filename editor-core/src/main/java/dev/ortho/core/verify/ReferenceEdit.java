package dev.ortho.core.verify;

import dev.ortho.core.edit.ProjectionLayout;
import dev.ortho.formats.safetensors.DType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The edit recomputed for verification by a deliberately plain float64 implementation that shares no code
 * with {@code ProjectionKernel} or {@code ElementCodec}: it decodes the stored bytes itself, sums with
 * ordinary left-to-right loops, applies the formula of EDIT-MATH (coefficients from the original vector,
 * {@code u = v − α_t Σ_j c_j q_j}, optionally rescaled to |v|), rounds with its own round-to-nearest-even and
 * compares element by element with what the output stores.
 *
 * <p>Two correct float64 evaluations of the same formula may differ in their last bits (the kernel sums
 * with eight interleaved accumulators), so after rounding to the stored type they may land on neighbouring
 * values. An element passes when it is within one unit in the last place of the stored type of the
 * float64 reference, plus a bound on the float64 rounding of both evaluations (which only matters where
 * the result nearly cancels); anything further away fails. Streaming: memory is O(columns × k), never
 * the tensor.
 */
public final class ReferenceEdit {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final double EPS = 0x1p-53;

    private ReferenceEdit() {}

    /**
     * How the stored tensor compares with the reference edit of the original.
     *
     * @param elements     compared
     * @param bitIdentical equal to the correctly rounded reference
     * @param withinUlp    not identical but within 1 ulp (plus float64 noise) of the reference
     * @param beyond       further away: the tensor is not the edit of the original
     * @param firstBeyond  element index of the first such element, -1 if none
     * @param worstUlps    largest distance from the float64 reference, in ulps of the stored type
     */
    public record Agreement(long elements, long bitIdentical, long withinUlp, long beyond, long firstBeyond, double worstUlps) {
        public boolean ok() { return beyond == 0; }
    }

    /** The edited vector in float64, unrounded: {@code u = v − α_t Σ_j (q_j·v) q_j}, rescaled to |v| if asked. */
    public static double[] edit(double[] v, ExpectedEdit e) {
        double[] u = new double[v.length];
        project(v, e, u, null);
        return u;
    }

    public static Agreement compare(MemorySegment original, MemorySegment stored, DType dtype, long[] shape, ExpectedEdit e) {
        long count = 1;
        for (long d : shape) count *= d;
        if (original.byteSize() != count * dtype.byteSize() || stored.byteSize() != original.byteSize()) {
            throw new IllegalArgumentException("sizes do not match the shape " + java.util.Arrays.toString(shape));
        }
        Tally t = new Tally(count);
        if (e.layout() == ProjectionLayout.ROWS) rows(original, stored, dtype, count, e, t);
        else columns(original, stored, dtype, shape, e, t);
        return new Agreement(count, t.identical, t.within, t.beyond, t.firstBeyond, t.worst);
    }

    // ------------------------------------------------------------------------------------ rows

    private static void rows(MemorySegment original, MemorySegment stored, DType dtype, long count, ExpectedEdit e, Tally t) {
        int n = e.hidden();
        double[] v = new double[n], u = new double[n], noise = new double[n];
        for (long row = 0; row < count / n; row++) {
            for (int i = 0; i < n; i++) v[i] = read(original, dtype, row * n + i);
            project(v, e, u, noise);
            for (int i = 0; i < n; i++) t.add(row * n + i, read(stored, dtype, row * n + i), u[i], noise[i], dtype);
        }
    }

    /**
     * One vector: {@code out} gets the edited vector; {@code noise} (if given) a bound on how far another
     * correct float64 evaluation of the same formula may be from it, per element.
     */
    private static void project(double[] v, ExpectedEdit e, double[] out, double[] noise) {
        List<double[]> q = e.basis();
        int n = v.length, k = q.size();
        double a = e.alphaT();
        double[] c = new double[k], s = new double[k];
        for (int j = 0; j < k; j++) {
            double[] qj = q.get(j);
            for (int h = 0; h < n; h++) {
                c[j] += qj[h] * v[h];
                s[j] += Math.abs(qj[h] * v[h]);
            }
        }
        double vv = 0, uu = 0, noiseSum = 0;
        for (int i = 0; i < n; i++) {
            double along = 0, alongAbs = 0, coefNoise = 0;
            for (int j = 0; j < k; j++) {
                along += c[j] * q.get(j)[i];
                alongAbs += Math.abs(c[j] * q.get(j)[i]);
                coefNoise += 2.0 * (n + 2) * EPS * s[j] * Math.abs(q.get(j)[i]);
            }
            out[i] = v[i] - a * along;
            vv += v[i] * v[i];
            uu += out[i] * out[i];
            if (noise != null) {
                noise[i] = Math.abs(a) * coefNoise + 8 * EPS * (Math.abs(v[i]) + Math.abs(a) * alongAbs * (k + 1));
                noiseSum += noise[i];
            }
        }
        if (e.rescaled() && uu != 0) {
            double normU = Math.sqrt(uu), scale = Math.sqrt(vv) / normU;
            double relative = 4.0 * (n + 4) * EPS + noiseSum / normU;
            for (int i = 0; i < n; i++) {
                out[i] = scale * out[i];
                if (noise != null) noise[i] = scale * noise[i] + Math.abs(out[i]) * relative;
            }
        }
    }

    // --------------------------------------------------------------------------------- columns

    /** Hidden is the second-to-last dimension: every column of every [hidden, cols] matrix is a write vector. */
    private static void columns(MemorySegment original, MemorySegment stored, DType dtype, long[] shape, ExpectedEdit e, Tally t) {
        int n = Math.toIntExact(shape[shape.length - 2]);
        int cols = Math.toIntExact(shape[shape.length - 1]);
        long matrices = t.count / ((long) n * cols);
        // Columns are gathered in blocks (each read a run of contiguous elements of a row) and every column is
        // then handled exactly as a row is: the same arithmetic in both layouts, and cache-friendly reads.
        int block = Math.min(cols, 64);
        double[][] v = new double[block][n];
        double[] u = new double[n], noise = new double[n];
        for (long m = 0; m < matrices; m++) {
            long base = m * n * cols;
            for (int first = 0; first < cols; first += block) {
                int width = Math.min(block, cols - first);
                for (int h = 0; h < n; h++) {
                    for (int j = 0; j < width; j++) v[j][h] = read(original, dtype, base + (long) h * cols + first + j);
                }
                for (int j = 0; j < width; j++) {
                    project(v[j], e, u, noise);
                    for (int h = 0; h < n; h++) {
                        long at = base + (long) h * cols + first + j;
                        t.add(at, read(stored, dtype, at), u[h], noise[h], dtype);
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------------- number formats

    /** Element {@code index} of a little-endian tensor, widened exactly to double. */
    static double read(MemorySegment seg, DType dtype, long index) {
        return switch (dtype) {
            case F32 -> seg.get(F32, index * 4);
            case F64 -> seg.get(F64, index * 8);
            case BF16 -> Float.intBitsToFloat((seg.get(I16, index * 2) & 0xFFFF) << 16);
            case F16 -> Float.float16ToFloat(seg.get(I16, index * 2));
            default -> throw new IllegalArgumentException("no arithmetic on " + dtype);
        };
    }

    private static int precision(DType t) {
        return switch (t) {
            case F32 -> 24;
            case BF16 -> 8;
            case F16 -> 11;
            case F64 -> 53;
            default -> throw new IllegalArgumentException(t.name());
        };
    }

    private static int minExponent(DType t) {
        return switch (t) {
            case F32, BF16 -> -126;
            case F16 -> -14;
            case F64 -> -1022;
            default -> throw new IllegalArgumentException(t.name());
        };
    }

    private static double maxFinite(DType t) {
        return switch (t) {
            case F32 -> Float.MAX_VALUE;
            case BF16 -> 0x1.FEp127;
            case F16 -> 65504.0;
            case F64 -> Double.MAX_VALUE;
            default -> throw new IllegalArgumentException(t.name());
        };
    }

    /** Distance between neighbouring values of the type at magnitude |x| (subnormal spacing below the normal range). */
    static double spacing(DType t, double x) {
        int e = Math.max(Math.getExponent(Math.abs(x)), minExponent(t));
        return Math.scalb(1.0, e - (precision(t) - 1));
    }

    /** x rounded to the type, nearest with ties to even: scaled so the last kept bit is the units digit, then rint. */
    static double round(DType t, double x) {
        if (t == DType.F64 || !Double.isFinite(x)) return x;
        double sp = spacing(t, x);
        double r = Math.rint(x / sp) * sp;
        return Math.abs(r) > maxFinite(t) ? Math.copySign(Double.POSITIVE_INFINITY, x) : r;
    }

    private static final class Tally {
        final long count;
        long identical, within, beyond, firstBeyond = -1;
        double worst;

        Tally(long count) { this.count = count; }

        void add(long index, double stored, double reference, double noise, DType dtype) {
            double rounded = round(dtype, reference);
            if (Double.compare(stored, rounded) == 0 || (Double.isNaN(stored) && Double.isNaN(reference))) {
                identical++;
                worst = Math.max(worst, Math.abs(stored - reference) / spacing(dtype, reference));
                return;
            }
            double ulp = Math.max(spacing(dtype, stored), spacing(dtype, reference));
            double distance = Math.abs(stored - reference);
            double ulps = Double.isNaN(distance) ? Double.POSITIVE_INFINITY : distance / ulp;
            worst = Math.max(worst, ulps);
            if (distance <= ulp + noise) {
                within++;
            } else {
                beyond++;
                if (firstBeyond < 0) firstBeyond = index;
            }
        }
    }
}
