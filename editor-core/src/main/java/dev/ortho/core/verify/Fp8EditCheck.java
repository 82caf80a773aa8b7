package dev.ortho.core.verify;

import dev.ortho.core.edit.ElementCodec;
import dev.ortho.core.edit.ProjectionLayout;
import dev.ortho.core.edit.quant.Fp8BlockScheme;
import dev.ortho.core.edit.quant.Fp8Format;
import dev.ortho.core.provenance.EditedTensor;
import dev.ortho.core.provenance.Manifest;
import dev.ortho.core.provenance.QuantizedEdit;
import dev.ortho.formats.checkpoint.Checkpoint;
import dev.ortho.formats.checkpoint.TensorRef;
import dev.ortho.formats.safetensors.DType;
import dev.ortho.formats.safetensors.FloatConversions;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The checks of {@code ortho verify} for a block-FP8 weight (a manifest edit with {@code quantized}
 * set). A requantized tensor cannot have a leftover along r near 0: the FP8 grid
 * dominates. What is provable instead: every stored value is within half a grid step (of its block)
 * of the exact float64 edit, so |r·ŵ'| ≤ Σ|rᵢ|·½ulpᵢ·sᵢ (+ float64 terms); an unedited tensor breaks
 * that bound. Given the original, the edit is redone here with plain float64 loops (not the
 * editor's code) and requantized, and the stored codes and scales must be that result; the
 * manifest's survived fraction is recomputed and must match.
 *
 * <p>Integration: the verifier plans a writer stored as FP8 with its scale beside it as an FP8 edit and
 * checks it with {@link #leftover} instead of its float leftover check; a planned writer whose ORIGINAL
 * is FP8 (requantized or stored as BF16) it checks with {@link #againstOriginal} instead of its reference
 * edit, and the scale tensors of those writers ({@link #scaleOf}) are checked here, not as untouched.
 */
public final class Fp8EditCheck {

    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    private Fp8EditCheck() {}

    public static boolean appliesTo(EditedTensor e) { return e.quantized() != null; }

    /** Whether the stored tensor is FP8 (requantized) rather than BF16 (dequantized). */
    public static boolean requantized(EditedTensor e) {
        return requantized(e.quantized());
    }

    static boolean requantized(QuantizedEdit q) {
        return q != null && q.output().equals("requantized");
    }

    /** The scale tensors of FP8 edits: rewritten (requantized) or dropped (BF16); checked here, not as untouched. */
    public static Set<String> companions(Manifest m) {
        Set<String> out = new HashSet<>();
        for (EditedTensor e : m.edits()) if (e.quantized() != null) out.add(e.quantized().scaleTensor());
        return out;
    }

    /** Whether a tensor of this dtype holds 8-bit float codes (never decoded with ElementCodec). */
    public static boolean isFp8(DType dtype) {
        try {
            Fp8Format.of(dtype);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * Whether config.json's quantization_config lists {@code module} in modules_to_not_convert (what
     * transformers' FineGrainedFP8 quantizer reads; the edit writes ignored_layers for vLLM beside it).
     */
    static boolean notConverted(java.nio.file.Path configFile, String module) {
        com.fasterxml.jackson.databind.JsonNode root;
        try {
            root = dev.ortho.core.provenance.ManifestJson.mapper().readTree(java.nio.file.Files.readAllBytes(configFile));
        } catch (java.io.IOException e) {
            return false;
        }
        for (com.fasterxml.jackson.databind.JsonNode n : root.path("quantization_config").path("modules_to_not_convert")) {
            if (module.equals(n.asText())) return true;
        }
        return false;
    }

    /** The scale_inv tensor beside a block-FP8 weight. */
    public static String scaleOf(String weight) {
        return Fp8BlockScheme.scaleName(weight);
    }

    // ------------------------------------------------------------------ without the original

    /** The leftover check of a requantized FP8 tensor (a BF16 one goes through the ordinary check). */
    public static CheckResult leftover(Checkpoint out, EditedTensor e, double[] r, double alpha) {
        return leftover(out, e.name(), e.layout(), e.quantized(), r, alpha);
    }

    static CheckResult leftover(Checkpoint out, String name, String layoutName, QuantizedEdit q, double[] r, double alpha) {
        Optional<TensorRef> w = out.find(name), s = out.find(q.scaleTensor());
        if (w.isEmpty() || s.isEmpty()) {
            return new CheckResult("leftover", name, false, "FP8 weight or its scale " + q.scaleTensor() + " missing from the output");
        }
        Fp8Format fmt;
        try {
            fmt = Fp8Format.of(w.get().info().dtype());
        } catch (IllegalArgumentException ex) {
            return new CheckResult("leftover", name, false, "stored as " + w.get().info().dtype() + " but the manifest says requantized FP8");
        }
        int rows = (int) w.get().info().dim(0), cols = (int) w.get().info().dim(1);
        int bm = q.blockSize().get(0), bn = q.blockSize().get(1);
        double[] scales = scales(s.get(), rows, cols, bm, bn);
        if (scales == null) return new CheckResult("leftover", name, false, "scale tensor " + q.scaleTensor() + " has the wrong shape");
        int sCols = (cols + bn - 1) / bn;
        ProjectionLayout layout = ProjectionLayout.valueOf(layoutName);
        MemorySegment data = w.get().data();
        double rr = 0;
        for (double v : r) rr += v * v;
        double worst = 0, max = 0;
        if (layout == ProjectionLayout.COLUMNS) {
            double[] dot = new double[cols], grid = new double[cols], sumAbs = new double[cols], sumY = new double[cols];
            for (int h = 0; h < rows; h++) {
                for (int j = 0; j < cols; j++) {
                    byte c = data.get(ValueLayout.JAVA_BYTE, (long) h * cols + j);
                    double sc = scales[(h / bm) * sCols + j / bn], y = fmt.decode(c) * sc;
                    dot[j] += r[h] * y;
                    grid[j] += Math.abs(r[h]) * fmt.halfUlp(c) * sc;
                    sumAbs[j] += Math.abs(r[h] * y);
                    sumY[j] += Math.abs(y);
                }
            }
            for (int j = 0; j < cols; j++) {
                max = Math.max(max, Math.abs(dot[j]));
                worst = Math.max(worst, Math.abs(dot[j]) / bound(grid[j], sumAbs[j], sumY[j], rr));
            }
        } else {
            for (int h = 0; h < rows; h++) {
                double dot = 0, grid = 0, sumAbs = 0, sumY = 0;
                for (int j = 0; j < cols; j++) {
                    byte c = data.get(ValueLayout.JAVA_BYTE, (long) h * cols + j);
                    double sc = scales[(h / bm) * sCols + j / bn], y = fmt.decode(c) * sc;
                    dot += r[j] * y;
                    grid += Math.abs(r[j]) * fmt.halfUlp(c) * sc;
                    sumAbs += Math.abs(r[j] * y);
                    sumY += Math.abs(y);
                }
                max = Math.max(max, Math.abs(dot));
                worst = Math.max(worst, Math.abs(dot) / bound(grid, sumAbs, sumY, rr));
            }
        }
        String survived = String.format("; manifest: %.3f of the edit survived requantization", q.survivedFraction());
        if (alpha != 1.0) {
            // The expected leftover (1 − α)(r·v) depends on the original: not judged here, and not passed either.
            return CheckResult.notApplicable("leftover", name, String.format(
                    "alpha_t=%s: max |r·ŵ'| %.3e (not expected to be zero; --original checks it)%s", alpha, max, survived));
        }
        return new CheckResult("leftover", name, worst <= 1.0, String.format(
                "FP8 requantized: max |r·ŵ'| %.3e, %.2f of the bound that requantization (half a grid step per value) allows%s",
                max, worst, survived));
    }

    private static double bound(double grid, double sumAbs, double sumY, double rr) {
        return grid * (1 + 1e-9) + 2 * 0x1p-52 * sumAbs + 2 * Math.abs(1 - rr) * sumY + Double.MIN_NORMAL;
    }

    // ------------------------------------------------------------------ against the original

    /** Redoes the edit from the original in plain float64 and compares with what is stored. */
    public static List<CheckResult> againstOriginal(Checkpoint in, Checkpoint out, EditedTensor e, double[] r, double alpha) {
        return againstOriginal(in, out, e.name(), e.layout(), e.quantized(), r, alpha);
    }

    static List<CheckResult> againstOriginal(Checkpoint in, Checkpoint out, String name, String layoutName, QuantizedEdit q,
                                             double[] r, double alpha) {
        Optional<TensorRef> w0 = in.find(name), s0 = in.find(q.scaleTensor()), w1 = out.find(name);
        if (w0.isEmpty() || s0.isEmpty()) {
            return List.of(new CheckResult("projection", name, false, "the original has no FP8 weight and scale " + q.scaleTensor()));
        }
        if (w1.isEmpty()) return List.of(new CheckResult("projection", name, false, "missing from the output"));
        Fp8Format fmt;
        try {
            fmt = Fp8Format.of(w0.get().info().dtype());
        } catch (IllegalArgumentException ex) {
            return List.of(new CheckResult("projection", name, false, "the original is " + w0.get().info().dtype() + ", not FP8"));
        }
        if (!w1.get().info().shape().equals(w0.get().info().shape())) {
            return List.of(new CheckResult("projection", name, false, "shape differs from the original"));
        }
        int rows = (int) w0.get().info().dim(0), cols = (int) w0.get().info().dim(1);
        int bm = q.blockSize().get(0), bn = q.blockSize().get(1), sRows = (rows + bm - 1) / bm, sCols = (cols + bn - 1) / bn;
        double[] s = scales(s0.get(), rows, cols, bm, bn);
        if (s == null) return List.of(new CheckResult("projection", name, false, "original scale has the wrong shape"));

        // W, then W' = W − α·proj_r(W) with plain loops in float64.
        MemorySegment src = w0.get().data();
        double[] wp = new double[rows * cols], w = new double[rows * cols];
        for (int h = 0; h < rows; h++) {
            for (int j = 0; j < cols; j++) {
                w[h * cols + j] = fmt.decode(src.get(ValueLayout.JAVA_BYTE, (long) h * cols + j)) * s[(h / bm) * sCols + j / bn];
            }
        }
        if (ProjectionLayout.valueOf(layoutName) == ProjectionLayout.COLUMNS) {
            double[] v = new double[cols];
            for (int h = 0; h < rows; h++) for (int j = 0; j < cols; j++) v[j] += r[h] * w[h * cols + j];
            for (int h = 0; h < rows; h++) for (int j = 0; j < cols; j++) wp[h * cols + j] = w[h * cols + j] - alpha * r[h] * v[j];
        } else {
            for (int h = 0; h < rows; h++) {
                double d = 0;
                for (int j = 0; j < cols; j++) d += w[h * cols + j] * r[j];
                for (int j = 0; j < cols; j++) wp[h * cols + j] = w[h * cols + j] - alpha * d * r[j];
            }
        }

        double[] stored = new double[rows * cols];
        long beyond = 0, offByOne = 0;
        String what;
        MemorySegment got = w1.get().data();
        if (requantized(q)) {
            Optional<TensorRef> s1 = out.find(q.scaleTensor());
            if (s1.isEmpty() || w1.get().info().dtype() != w0.get().info().dtype()) {
                return List.of(new CheckResult("projection", name, false, "requantized output lacks its scale or is not " + fmt.dtype()));
            }
            double[] outScales = scales(s1.get(), rows, cols, bm, bn);
            if (outScales == null) return List.of(new CheckResult("projection", name, false, "output scale has the wrong shape"));
            ElementCodec sc = ElementCodec.of(s1.get().info().dtype());
            long badScales = 0;
            for (int br = 0; br < sRows; br++) {
                for (int bc = 0; bc < sCols; bc++) {
                    double amax = 0;
                    for (int h = br * bm; h < Math.min(rows, (br + 1) * bm); h++) {
                        for (int j = bc * bn; j < Math.min(cols, (bc + 1) * bn); j++) amax = Math.max(amax, Math.abs(wp[h * cols + j]));
                    }
                    double expect = amax == 0 ? 1.0 : sc.rounded(amax / fmt.max());
                    if (!(expect > 0) || !Double.isFinite(expect)) expect = 1.0;
                    double have = outScales[br * sCols + bc];
                    if (have != expect && Math.abs(have - expect) > Math.ulp((float) expect)) badScales++;
                }
            }
            if (badScales > 0) {
                return List.of(new CheckResult("projection", name, false, badScales + " block scales differ from amax(W')/"
                        + fmt.max() + " of the recomputed edit"));
            }
            for (int h = 0; h < rows; h++) {
                for (int j = 0; j < cols; j++) {
                    int i = h * cols + j;
                    double sv = outScales[(h / bm) * sCols + j / bn];
                    byte have = got.get(ValueLayout.JAVA_BYTE, i), expect = fmt.encode(wp[i] / sv);
                    stored[i] = fmt.decode(have) * sv;
                    if (have != expect) {
                        // Adjacent codes at a rounding midpoint can flip with the last bit of W'; more cannot.
                        if (Math.abs((have & 0x7F) - (expect & 0x7F)) == 1 && (have & 0x80) == (expect & 0x80)) offByOne++;
                        else beyond++;
                    }
                }
            }
            what = "requantized FP8 codes";
        } else {
            if (w1.get().info().dtype() != DType.BF16) {
                return List.of(new CheckResult("projection", name, false, "stored as " + w1.get().info().dtype() + ", manifest says BF16"));
            }
            if (out.find(q.scaleTensor()).isPresent()) {
                return List.of(new CheckResult("projection", name, false, "BF16 output still carries " + q.scaleTensor()));
            }
            for (int i = 0; i < rows * cols; i++) {
                double have = FloatConversions.bf16ToFloat(got.get(SHORT_LE, 2L * i));
                stored[i] = have;
                double expect = FloatConversions.bf16ToFloat(FloatConversions.doubleToBf16(wp[i]));
                if (have != expect) {
                    if (Math.abs(have - expect) <= Math.ulp((float) expect) * 65536.0) offByOne++;
                    else beyond++;
                }
            }
            what = "BF16 values";
        }
        double d2 = 0, along = 0;
        for (int i = 0; i < rows * cols; i++) {
            double d = wp[i] - w[i];
            d2 += d * d;
            along += (stored[i] - w[i]) * d;
        }
        double survived = d2 == 0 ? 1.0 : along / d2;
        boolean claimOk = Math.abs(survived - q.survivedFraction()) <= 1e-9 + 1e-6 * Math.abs(survived);
        CheckResult values = new CheckResult("projection", name, beyond == 0, beyond == 0
                ? String.format("%s equal the requantization of the float64 edit of the original%s", what,
                        offByOne == 0 ? "" : " (" + offByOne + " one step off at rounding midpoints)")
                : beyond + " of " + (long) rows * cols + " " + what + " differ from the float64 edit of the original");
        CheckResult claim = new CheckResult("survived", name, claimOk, String.format(
                "%.4f of the edit survived (recomputed), manifest says %.4f", survived, q.survivedFraction()));
        return List.of(values, claim);
    }

    /** The block scales as doubles, or null when the scale tensor's shape does not fit the weight. */
    private static double[] scales(TensorRef s, int rows, int cols, int bm, int bn) {
        int sr = (rows + bm - 1) / bm, sc = (cols + bn - 1) / bn;
        if (!s.info().shape().equals(List.of((long) sr, (long) sc)) || !s.info().dtype().editable()) return null;
        double[] out = new double[sr * sc];
        ElementCodec.of(s.info().dtype()).decode(s.data(), 0, out, out.length);
        return out;
    }
}
