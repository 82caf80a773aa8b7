package dev.ortho.core.verify;

import dev.ortho.core.provenance.EditParameters;
import dev.ortho.core.provenance.EditedTensor;
import dev.ortho.core.provenance.Manifest;
import dev.ortho.formats.safetensors.DType;

import java.util.List;
import java.util.Locale;

/**
 * Whether a weight edit behaves as directional ablation at inference time (hooks on every layer input,
 * attention output and MLP output of the ORIGINAL model), judged from the largest logit difference between
 * the two, as {@code ortho run} and {@code ortho demo} measure it.
 *
 * <p>The equivalence is exact in exact arithmetic only for a full removal (alpha 1, every layer and writer
 * kind) with an untied or untouched head and pre-norm writers. Otherwise it is not expected and is reported
 * as not applicable, not as a failure. The tolerance: float32 forward passes of the same function differ by
 * ~1e-5 on these logits (golden README: up to 8e-6), so 1e-3 absolute leaves a wide margin yet is far below
 * what a missed or wrong writer does (logits move by 1 to 5); 16-bit weights add the rounding of the edited
 * weights, a relative error of the unit roundoff u per weight, allowed as 4 u max|logit|.
 *
 * @param applicable      whether the edit should equal hook ablation
 * @param maxAbsLogitDiff max |logit(edited) − logit(original + hooks)| measured
 * @param tolerance       the allowed maximum (NaN when not applicable)
 * @param reason          why not applicable, or how the tolerance was set
 */
public record HookEquivalence(boolean applicable, double maxAbsLogitDiff, double tolerance, String reason) {

    /** Float32 weights: absolute allowance on max |Δlogit|. */
    public static final double F32_TOLERANCE = 1e-3;

    public boolean ok() {
        return !applicable || maxAbsLogitDiff <= tolerance; // NaN fails
    }

    /**
     * What decides whether the equivalence is expected, taken from a manifest.
     *
     * @param dtypes stored types of the edited tensors
     */
    public record Conditions(String arch, boolean approximate, boolean tied, boolean untied, String tiedPolicy, double alpha,
                             boolean everyLayerAndWriter, List<String> dtypes) {

        public static Conditions of(Manifest m) {
            EditParameters p = m.parameters();
            return new Conditions(p.arch(), p.approximate(), p.tied(), p.untied(), p.tiedEmbeddings(), p.alpha(),
                    p.layers().equals("all") && p.components().containsAll(List.of("embed", "attn", "mlp", "bias")),
                    m.edits().stream().map(EditedTensor::dtype).distinct().toList());
        }
    }

    public static HookEquivalence judge(Manifest manifest, double maxAbsLogitDiff, double maxAbsLogit) {
        return judge(Conditions.of(manifest), maxAbsLogitDiff, maxAbsLogit);
    }

    /**
     * @param maxAbsLogit largest |logit| of the hooked original, the scale of 16-bit rounding effects
     */
    public static HookEquivalence judge(Conditions c, double maxAbsLogitDiff, double maxAbsLogit) {
        String notExpected = null;
        if (c.approximate()) notExpected = "post-norm writers (" + c.arch() + "): a weight edit only approximates ablation";
        else if (c.tied() && !c.untied()) notExpected = "tied head with --tied-embeddings " + c.tiedPolicy()
                + ": the head is edited (or the embedding is not), which ablation does not do";
        else if (c.alpha() != 1.0) notExpected = "alpha " + c.alpha() + " is not a full removal";
        else if (!c.everyLayerAndWriter()) notExpected = "only some layers or writer kinds were edited";
        if (notExpected != null) return new HookEquivalence(false, maxAbsLogitDiff, Double.NaN, notExpected);
        double u = 0;
        String widest = "F32";
        for (String dtype : c.dtypes()) {
            double ue = switch (DType.fromHeaderName(dtype).orElse(DType.F32)) {
                case BF16 -> 0x1p-9;
                case F16 -> 0x1p-12;
                default -> 0;
            };
            if (ue > u) {
                u = ue;
                widest = dtype;
            }
        }
        double tol = F32_TOLERANCE + 4 * u * maxAbsLogit;
        String how = u == 0 ? "float32 weights: max |dlogit| <= 1e-3"
                : String.format(Locale.ROOT, "%s weights: max |dlogit| <= 1e-3 + 4 u max|logit| = %.3g", widest, tol);
        return new HookEquivalence(true, maxAbsLogitDiff, tol, how);
    }
}
