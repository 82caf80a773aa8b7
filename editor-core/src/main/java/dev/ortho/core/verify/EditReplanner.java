package dev.ortho.core.verify;

import dev.ortho.core.arch.ArchSpec;
import dev.ortho.core.arch.Role;
import dev.ortho.core.arch.TensorRole;
import dev.ortho.core.edit.EditPlanner;
import dev.ortho.core.edit.ProjectionLayout;
import dev.ortho.core.edit.TiedPolicy;
import dev.ortho.formats.safetensors.TensorInfo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Plans the edit again, for verification, from the architecture spec and the recorded parameters over the
 * OUTPUT's tensor list: which tensors must have been edited, and how. Written apart from {@code EditPlanner}
 * (it shares only the spec's classification and layout resolution), so a planner bug does not hide itself.
 */
final class EditReplanner {

    /** EDIT-MATH: o_proj's bias follows attn, down_proj's mlp; told apart by name, as the editor does. */
    private static final Pattern ATTENTION = Pattern.compile(".*(attn|attention|o_proj).*");

    private EditReplanner() {}

    /**
     * @param expected  every tensor that must have been edited, in output order
     * @param problems  planned writers that cannot have been edited as recorded (failed checks)
     */
    record Replan(Map<String, ExpectedEdit> expected, List<CheckResult> problems) {}

    /**
     * @param inputTied whether the INPUT's head shared the embedding (from the original when given, else as recorded)
     */
    static Replan plan(ArchSpec spec, int hidden, List<TensorInfo> outputTensors, RecordedEdit rec, boolean inputTied) {
        Map<String, ExpectedEdit> expected = new LinkedHashMap<>();
        List<CheckResult> problems = new ArrayList<>();
        for (TensorInfo t : outputTensors) {
            TensorRole role = spec.classify(t.name());
            if (!selected(role, rec, inputTied)) continue;
            if (rec.untied() && t.name().equals(EditPlanner.UNTIED_HEAD_NAME)) continue;
            if (!t.dtype().editable()) {
                problems.add(new CheckResult("plan", t.name(), false, "a planned writer stored as " + t.dtype()
                        + ", which no edit writes"));
                continue;
            }
            Optional<ProjectionLayout> layout = role.layout().resolve(t.shapeArray(), hidden);
            if (layout.isEmpty()) {
                problems.add(new CheckResult("plan", t.name(), false, "a planned writer of shape " + t.shape()
                        + " that does not fit the " + role.layout().jsonName() + " layout for hidden size " + hidden));
                continue;
            }
            if (rec.perLayer() && role.layer() >= rec.bases().size()) {
                problems.add(new CheckResult("plan", t.name(), false, "belongs to layer " + role.layer()
                        + " but the recorded per-layer direction has " + rec.bases().size() + " layers"));
                continue;
            }
            List<double[]> basis = rec.basisFor(role.layer());
            if (basis.get(0).length != hidden) {
                problems.add(new CheckResult("plan", t.name(), false, "the recorded direction has length "
                        + basis.get(0).length + " but the hidden size is " + hidden));
                continue;
            }
            expected.put(t.name(), new ExpectedEdit(t.name(), role.role(), role.layer(), layout.get(),
                    rec.alphaFor(kernelComponent(role.role(), t.name()), role.layer()), basis,
                    rec.basisLayerFor(role.layer()), rec.normPreserving()));
        }
        return new Replan(expected, problems);
    }

    /** The writer selection rule (README, "The edit"): kind, layer and the tied-head policy. */
    static boolean selected(TensorRole role, RecordedEdit rec, boolean inputTied) {
        if (!role.writer() || !rec.components().contains(role.role().component())) return false;
        if (role.role() == Role.EMBEDDING && inputTied && rec.tiedPolicy() == TiedPolicy.SKIP_EMBEDDING) return false;
        return role.layer() < 0 || rec.layers().includes(role.layer());
    }

    /** Layer kernels cover attn and mlp; a writer bias follows its writer (EDIT-MATH). */
    private static String kernelComponent(Role role, String name) {
        return switch (role) {
            case ATTN_OUT -> "attn";
            case MLP_OUT, EXPERT_OUT -> "mlp";
            case WRITER_BIAS -> ATTENTION.matcher(name.toLowerCase(java.util.Locale.ROOT)).matches() ? "attn" : "mlp";
            default -> "embed";
        };
    }
}
