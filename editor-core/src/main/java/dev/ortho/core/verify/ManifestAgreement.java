package dev.ortho.core.verify;

import dev.ortho.formats.checkpoint.Checkpoint;
import dev.ortho.formats.checkpoint.TensorRef;
import dev.ortho.formats.safetensors.TensorInfo;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The manifest's {@code edits} list against the re-derived plan: a writer the plan edits but the list leaves
 * out, an entry the plan does not edit, or an entry whose file, role, layer, dtype, shape, layout, alpha or
 * basis differs from what the plan and the output say, is each a failure naming the tensor.
 */
final class ManifestAgreement {

    private ManifestAgreement() {}

    static void check(Map<String, ExpectedEdit> expected, RecordedEdit rec, Checkpoint out, List<CheckResult> checks) {
        int agreed = 0;
        for (ExpectedEdit e : expected.values()) {
            RecordedEdit.Entry entry = rec.entries().get(e.name());
            if (entry == null) {
                checks.add(new CheckResult("plan", e.name(), false, "the plan edits this " + e.role() + " writer but the"
                        + " manifest's edits list does not have it"));
                continue;
            }
            List<String> differences = differences(e, entry, out.tensor(e.name()));
            if (differences.isEmpty()) agreed++;
            else checks.add(new CheckResult("plan", e.name(), false, "the manifest's edits entry disagrees with the plan"
                    + " and the output: " + String.join("; ", differences)));
        }
        for (RecordedEdit.Entry entry : rec.entries().values()) {
            if (!expected.containsKey(entry.name())) {
                checks.add(new CheckResult("plan", entry.name(), false, out.find(entry.name()).isEmpty()
                        ? "listed in the manifest's edits but not in the output"
                        : "listed in the manifest's edits but the plan (spec '" + rec.arch() + "', components "
                        + rec.components() + ", layers " + rec.layers() + ") does not edit it"));
            }
        }
        if (agreed == expected.size() && agreed == rec.entries().size()) {
            checks.add(new CheckResult("plan", "edits", true, agreed + " planned edits, exactly the manifest's edits list"));
        }
    }

    private static List<String> differences(ExpectedEdit e, RecordedEdit.Entry entry, TensorRef actual) {
        List<String> d = new ArrayList<>();
        TensorInfo info = actual.info();
        String file = actual.file().path().getFileName().toString();
        compare(d, "file", entry.file(), file);
        compare(d, "role", entry.role(), e.role().name());
        compare(d, "layer", entry.layer(), e.layer());
        compare(d, "dtype", entry.dtype(), info.dtype().name());
        compare(d, "shape", entry.shape(), info.shape());
        compare(d, "layout", entry.layout(), e.layout().name());
        entry.alpha().ifPresent(a -> {
            if (Math.abs(a - e.alphaT()) > 1e-12 * Math.max(1, Math.abs(e.alphaT()))) {
                d.add("alpha " + a + " but the parameters give alpha_t " + e.alphaT());
            }
        });
        entry.basisLayer().ifPresent(b -> compare(d, "basis_layer", b, e.basisLayer()));
        return d;
    }

    private static void compare(List<String> d, String what, Object recorded, Object actual) {
        if (!Objects.equals(recorded, actual)) d.add(what + " " + recorded + " but " + actual);
    }
}
