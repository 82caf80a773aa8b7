package dev.ortho.core.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ortho.core.direction.CandidateDirections;
import dev.ortho.core.direction.Float64TensorFile;
import dev.ortho.core.edit.AblationRequest;
import dev.ortho.core.edit.CheckpointEditor;
import dev.ortho.core.edit.DirectionRequest;
import dev.ortho.core.edit.DirectionResolver;
import dev.ortho.core.edit.EditOptions;
import dev.ortho.core.edit.EditRecipe;
import dev.ortho.core.edit.LayerKernels;
import dev.ortho.core.edit.LayerSelection;
import dev.ortho.core.edit.ProgressListener;
import dev.ortho.core.edit.TiedPolicy;
import dev.ortho.core.pipeline.CandidatesFile;
import dev.ortho.core.provenance.EditedTensor;
import dev.ortho.core.provenance.Manifest;
import dev.ortho.core.provenance.ManifestJson;
import dev.ortho.core.verify.Verifier;
import dev.ortho.core.verify.VerifyReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Edit variants on the untied golden Llama: every runtime intervention equals the checkpoint
 * {@code ortho ablate} writes for the same recipe (activation hooks where one exists, the weight-level
 * intervention for norm preservation), the outputs verify, and they do not depend on the thread count.
 */
class EditVariantsGoldenTest {

    /** Activation ablation vs edited weights: the same function in float32, different operation order. */
    static final double HOOK_TOLERANCE = 1e-4;

    @Test
    void spanOfTwoDirectionsAsHookEqualsTheEditedCheckpoint(@TempDir Path tmp) throws Exception {
        Path g = llama();
        List<String> dirs = List.of(g.resolve("reference.safetensors") + ":direction", secondDirection(tmp, 64).toString());
        EditOptions o = options(2, false, null);
        CheckpointEditor.Result r = ablate(g, tmp.resolve("out"), new DirectionRequest(dirs, List.of(), null), o);
        Manifest m = r.manifest();
        assertEquals(2, m.parameters().directionCount());
        assertEquals(2, m.direction().unit().getFirst().size());
        assertEquals(2, m.direction().sources().size());
        for (EditedTensor e : m.edits()) {
            assertEquals(1.0, e.alpha());
            assertEquals(-1, e.basisLayer());
        }
        verifies(r.out(), g);

        // Byte-identical whatever the thread count.
        CheckpointEditor.Result one = ablate(g, tmp.resolve("out1"), new DirectionRequest(dirs, List.of(), null), o.withThreads(1));
        assertEquals(-1, Files.mismatch(r.out().resolve("model.safetensors"), one.out().resolve("model.safetensors")));

        float[] r1 = floats(m.direction().unit().getFirst().get(0)), r2 = floats(m.direction().unit().getFirst().get(1));
        Intervention hook = new Intervention.Ablate(List.of(List.of(r1, r2)), null, false);
        assertEquivalent(g, hook, r.out(), Intervention.none(), HOOK_TOLERANCE);
        // The same hook with only the first direction is not the span edit: the comparison can fail.
        double single = maxDiff(g, Intervention.ablate(r1), r.out(), Intervention.none());
        assertTrue(single > 100 * HOOK_TOLERANCE, "one direction must not look like the span: " + single);
    }

    @Test
    void layerKernelsAsPerSiteStrengthsEqualTheKernelEdit(@TempDir Path tmp) throws Exception {
        Path g = llama();
        DirectionRequest req = new DirectionRequest(List.of(g.resolve("reference.safetensors") + ":direction",
                secondDirection(tmp, 64).toString()), List.of(), null);
        LayerKernels k = LayerKernels.parse("attn=1:1.0:0.25:1,mlp=2:0.8:0.3:2");
        EditOptions o = options(2, false, k);
        CheckpointEditor.Result r = ablate(g, tmp.resolve("out"), req, o);
        assertNotNull(r.manifest().parameters().layerKernels());
        assertEquals(0.25, r.manifest().parameters().layerKernels().get("attn").min());
        for (EditedTensor e : r.manifest().edits()) {
            double expected = switch (e.role()) {
                case "ATTN_OUT" -> k.attn().weight(e.layer());
                case "MLP_OUT" -> k.mlp().weight(e.layer());
                default -> 1.0;
            };
            assertEquals(expected, e.alpha(), 1e-15, e.name());
        }
        verifies(r.out(), g);
        EditRecipe recipe = o.recipe(DirectionResolver.resolve(req, 64, 3).basis());
        assertEquivalent(g, Intervention.of(recipe, 3), r.out(), Intervention.none(), HOOK_TOLERANCE);
        // Without the strengths the hook is another function.
        double plain = maxDiff(g, Intervention.of(options(2, false, null).recipe(recipe.basis()), 3), r.out(), Intervention.none());
        assertTrue(plain > 100 * HOOK_TOLERANCE, "kernels must matter: " + plain);
    }

    @Test
    void biprojectedPerLayerBasisAsHookEqualsTheEdit(@TempDir Path tmp) throws Exception {
        Path g = llama();
        Path candidates = tmp.resolve("candidates.safetensors");
        SplittableRandom rnd = new SplittableRandom(9);
        CandidatesFile.write(candidates, new CandidateDirections(1, 3, 64, rnd.doubles(192, -1, 1).toArray()),
                rnd.doubles(192, -1, 1).toArray(), Map.of());
        DirectionRequest req = new DirectionRequest(List.of(candidates.toString()), List.of("0.5"), candidates.toString());
        EditOptions o = options(2, false, null);
        CheckpointEditor.Result r = ablate(g, tmp.resolve("out"), req, o);
        assertTrue(r.manifest().parameters().biproject());
        assertTrue(r.manifest().direction().perLayer());
        assertEquals(3, r.manifest().direction().unit().size());
        for (EditedTensor e : r.manifest().edits()) assertEquals(Math.max(e.layer(), 0), e.basisLayer(), e.name());
        verifies(r.out(), g);
        EditRecipe recipe = o.recipe(DirectionResolver.resolve(req, 64, 3).basis());
        assertEquivalent(g, Intervention.of(recipe, 3), r.out(), Intervention.none(), HOOK_TOLERANCE);
    }

    @Test
    void normPreservingWeightInterventionEqualsTheCheckpoint(@TempDir Path tmp) throws Exception {
        Path g = llama();
        DirectionRequest req = new DirectionRequest(List.of(g.resolve("reference.safetensors") + ":direction",
                secondDirection(tmp, 64).toString()), List.of(), null);
        EditOptions o = options(2, true, LayerKernels.parse("mlp=1:1.0:0.5:1"));
        CheckpointEditor.Result r = ablate(g, tmp.resolve("out"), req, o);
        assertTrue(r.manifest().parameters().normPreserving());
        verifies(r.out(), g);
        CheckpointEditor.Result one = ablate(g, tmp.resolve("out1"), req, o.withThreads(1));
        assertEquals(-1, Files.mismatch(r.out().resolve("model.safetensors"), one.out().resolve("model.safetensors")));

        EditRecipe recipe = o.recipe(DirectionResolver.resolve(req, 64, 3).basis());
        Intervention iv = Intervention.of(recipe, 3);
        assertInstanceOf(Intervention.WeightEdit.class, iv);
        assertEquivalent(g, iv, r.out(), Intervention.none(), 1e-6);
        // Generation goes through the cached graph with the same replaced weights.
        try (GoldenRef ref = GoldenRef.open(g.resolve("reference.safetensors"));
             ModelRuntime a = ModelRuntime.open(g); ModelRuntime b = ModelRuntime.open(r.out())) {
            List<int[]> prompts = List.of(ref.ids("input_ids.0"));
            assertArrayEquals(b.generate(prompts, 6, Intervention.none()).tokens().getFirst(),
                    a.generate(prompts, 6, iv).tokens().getFirst());
        }
        // The plain span hook is not norm preserving: the weight-level intervention is needed.
        double hook = maxDiff(g, Intervention.of(options(2, false, recipe.kernels()).recipe(recipe.basis()), 3), r.out(), Intervention.none());
        assertTrue(hook > 1e-3, "norm preservation must change the logits: " + hook);
    }

    @Test
    void editedWeightsAreTheBytesAblateWrites(@TempDir Path tmp) throws Exception {
        Path g = llama();
        DirectionRequest req = new DirectionRequest(List.of(g.resolve("reference.safetensors") + ":direction",
                secondDirection(tmp, 64).toString()), List.of(), null);
        EditOptions o = options(2, true, LayerKernels.parse("attn=0:1:0.5:2"));
        CheckpointEditor.Result r = ablate(g, tmp.resolve("out"), req, o);
        EditRecipe recipe = o.recipe(DirectionResolver.resolve(req, 64, 3).basis());
        try (dev.ortho.core.edit.EditedWeights w = dev.ortho.core.edit.EditedWeights.compute(g, recipe, 3);
             dev.ortho.formats.checkpoint.Checkpoint out = dev.ortho.formats.checkpoint.Checkpoint.open(r.out())) {
            assertEquals(r.manifest().edits().size(), w.tensors().size());
            for (dev.ortho.core.edit.EditedWeights.Tensor t : w.tensors().values()) {
                var written = out.find(t.name()).orElseThrow().data();
                assertEquals(-1, written.mismatch(t.bytes()), t.name() + " differs from the written checkpoint");
            }
        }
    }

    @Test
    void weightEditRefusesTiedEmbeddings() {
        Path qwen = GoldenRef.dir().resolve("qwen2");
        EditRecipe recipe = new EditRecipe(dev.ortho.core.edit.EditBasis.single(unitVector(qwen)), 1.0, null, true,
                LayerSelection.ALL, Set.copyOf(EditOptions.ALL_COMPONENTS));
        try (GoldenRef ref = GoldenRef.open(qwen.resolve("reference.safetensors")); ModelRuntime rt = ModelRuntime.open(qwen)) {
            RuntimeFailure e = assertThrows(RuntimeFailure.class, () -> rt.forward(List.<int[]>of(ref.ids("input_ids.0")),
                    new Intervention.WeightEdit(recipe), Capture.logits()));
            assertTrue(e.getMessage().contains("tied"), e.getMessage());
        }
    }

    private static double[] unitVector(Path golden) {
        try (GoldenRef ref = GoldenRef.open(golden.resolve("reference.safetensors"))) {
            float[] r = ref.floats("direction");
            double[] d = new double[r.length];
            double n = 0;
            for (float x : r) n += (double) x * x;
            for (int i = 0; i < r.length; i++) d[i] = r[i] / Math.sqrt(n);
            return d;
        }
    }

    @Test
    void verifyRejectsAVariantOutputWhoseManifestOmitsTheVariant(@TempDir Path tmp) throws Exception {
        Path g = llama();
        CheckpointEditor.Result r = ablate(g, tmp.resolve("out"), DirectionRequest.of(g.resolve("reference.safetensors") + ":direction"),
                options(2, true, null));
        verifies(r.out(), g);
        Path manifest = r.out().resolve(Manifest.FILE_NAME);
        ObjectNode root = (ObjectNode) ManifestJson.mapper().readTree(manifest.toFile());
        ((ObjectNode) root.get("parameters")).put("norm_preserving", false);
        Files.write(manifest, ManifestJson.mapper().writeValueAsBytes(root));
        VerifyReport v = Verifier.verify(r.out(), Optional.of(g), 1);
        assertFalse(v.ok(), "a norm-preserving edit must not verify as a plain one");
    }

    @Test
    void oldManifestsWithOneVectorPerEntryStillRead(@TempDir Path tmp) throws Exception {
        Path g = llama();
        CheckpointEditor.Result r = ablate(g, tmp.resolve("out"), DirectionRequest.of(g.resolve("reference.safetensors") + ":direction"),
                options(1, false, null));
        Path manifest = r.out().resolve(Manifest.FILE_NAME);
        ObjectNode root = (ObjectNode) ManifestJson.mapper().readTree(manifest.toFile());
        ObjectNode direction = (ObjectNode) root.get("direction");
        JsonNode vector = direction.get("unit").get(0).get(0);
        ArrayNode old = ManifestJson.mapper().createArrayNode();
        old.add(vector);
        direction.set("unit", old);
        direction.remove("sources");
        ((ObjectNode) root.get("parameters")).remove(List.of("norm_preserving", "biproject", "layer_kernels", "direction_count"));
        for (JsonNode e : root.get("edits")) ((ObjectNode) e).remove(List.of("alpha", "basis_layer"));
        Files.write(manifest, ManifestJson.mapper().writeValueAsBytes(root));
        Manifest m = ManifestJson.read(manifest);
        assertEquals(1, m.direction().unit().size());
        assertEquals(1, m.direction().unit().getFirst().size());
        assertNull(m.edits().getFirst().alpha());
        verifies(r.out(), g);
    }

    // ------------------------------------------------------------------------------------------ helpers

    private static Path llama() { return GoldenRef.dir().resolve("llama"); }

    private static EditOptions options(int threads, boolean normPreserving, LayerKernels kernels) {
        return new EditOptions(1.0, LayerSelection.ALL, Set.copyOf(EditOptions.ALL_COMPONENTS), TiedPolicy.UNTIE, false, threads,
                true, normPreserving, kernels);
    }

    private static CheckpointEditor.Result ablate(Path model, Path out, DirectionRequest req, EditOptions o) {
        return CheckpointEditor.ablate(new AblationRequest(model, req, out, false, o, Optional.empty(), Optional.empty(),
                List.of("test"), Optional.empty()), ProgressListener.NONE);
    }

    private static void verifies(Path out, Path original) {
        VerifyReport v = Verifier.verify(out, Optional.of(original), 2);
        assertTrue(v.ok(), () -> "verify failed: " + v.failures());
    }

    /** A fixed second direction, far from the golden one. */
    private static Path secondDirection(Path tmp, int hidden) {
        Path f = tmp.resolve("second.safetensors");
        if (!Files.exists(f)) {
            double[] v = new SplittableRandom(1234).doubles(hidden, -1, 1).toArray();
            Float64TensorFile.write(f, Map.of(), List.of(new Float64TensorFile.Tensor("direction", new long[]{hidden}, v)), "test");
        }
        return f;
    }

    private static void assertEquivalent(Path a, Intervention ia, Path b, Intervention ib, double tolerance) {
        double d = maxDiff(a, ia, b, ib);
        System.out.printf("variant equivalence max abs diff %.3g (tolerance %.1g)%n", d, tolerance);
        assertTrue(d <= tolerance, "logits differ by " + d);
    }

    private static double maxDiff(Path a, Intervention ia, Path b, Intervention ib) {
        try (GoldenRef ref = GoldenRef.open(llama().resolve("reference.safetensors"));
             ModelRuntime ra = ModelRuntime.open(a); ModelRuntime rb = ModelRuntime.open(b)) {
            double max = 0;
            for (int i = 0; i < 3; i++) {
                List<int[]> seq = List.of(ref.ids("input_ids." + i));
                float[] x = ra.forward(seq, ia, Capture.logits()).logits().getFirst();
                float[] y = rb.forward(seq, ib, Capture.logits()).logits().getFirst();
                max = Math.max(max, GoldenRef.maxAbsDiff(x, y));
            }
            return max;
        }
    }

    private static float[] floats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }
}
