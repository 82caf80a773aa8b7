package dev.ortho.core.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Gemma 3 (sandwich and q/k norms, local/global rope bases, sliding layers) and gpt-oss (sinks, biases,
 * sliding layers, yarn, clamped-SwiGLU experts with top-k dispatch) against transformers 5.18. gpt-oss's residual stream
 * reaches |x| = 49, so its hidden states are compared relative to their scale.
 */
class GoldenNewerArchsTest {

    static final double TOL = 1e-4;

    @ParameterizedTest
    @ValueSource(strings = {"gemma3", "gpt_oss"})
    void logitsAndHiddenStatesMatchTransformers(String arch) {
        Path d = GoldenRef.dir().resolve(arch);
        try (GoldenRef ref = GoldenRef.open(d.resolve("reference.safetensors")); ModelRuntime rt = ModelRuntime.open(d)) {
            double[] m = forwardDiffs(rt, ref, "");
            System.out.printf("GOLDEN %s max|dlogit|=%.3g max rel dhidden=%.3g%n", arch, m[0], m[1]);
            assertTrue(m[0] < TOL, arch + " logits differ by " + m[0]);
            assertTrue(m[1] < TOL, arch + " hidden states differ by " + m[1] + " (relative)");
        }
    }

    /** config.legacy.json (rope_theta + rope_local_base_freq / rope_scaling, no layer_types) is the same model. */
    @ParameterizedTest
    @ValueSource(strings = {"gemma3", "gpt_oss"})
    void legacyConfigGivesTheSameModel(String arch, @TempDir Path tmp) throws Exception {
        Path d = GoldenRef.dir().resolve(arch);
        Path m = copyWithConfig(d, tmp, Files.readString(d.resolve("config.legacy.json")));
        try (GoldenRef ref = GoldenRef.open(d.resolve("reference.safetensors")); ModelRuntime rt = ModelRuntime.open(m)) {
            double[] diff = forwardDiffs(rt, ref, "");
            assertTrue(diff[0] < TOL && diff[1] < TOL, arch + " legacy config: " + diff[0] + ", " + diff[1]);
        }
    }

    /**
     * A multimodal Gemma 3 checkpoint ({@code Gemma3ForConditionalGeneration}: numbers in text_config,
     * the language model under model.language_model. or language_model.model.) runs as its text model.
     */
    @ParameterizedTest
    @ValueSource(strings = {"model.language_model.", "language_model.model."})
    void gemma3TextTowerOfAMultimodalCheckpointRuns(String tower, @TempDir Path tmp) throws Exception {
        Path d = GoldenRef.dir().resolve("gemma3");
        Path m = dev.ortho.fixtures.RenamedCheckpoint.write(d, tmp.resolve("mm"), n -> n.replaceFirst("^model\\.", tower), c -> {
            ObjectNode text = c.deepCopy();
            c.removeAll();
            c.putArray("architectures").add("Gemma3ForConditionalGeneration");
            c.put("model_type", "gemma3");
            c.set("text_config", text);
        });
        try (GoldenRef ref = GoldenRef.open(d.resolve("reference.safetensors")); ModelRuntime rt = ModelRuntime.open(m)) {
            double[] diff = forwardDiffs(rt, ref, "");
            assertTrue(diff[0] < TOL && diff[1] < TOL, tower + ": " + diff[0] + ", " + diff[1]);
        }
    }

    /** The checks above can fail: a wrong window, or Gemma 3's local base where the global one belongs, is caught. */
    @Test
    void aWrongWindowOrRopeBaseIsDetected(@TempDir Path tmp) throws Exception {
        assertMoved("gpt_oss", tmp.resolve("a"), c -> c.put("sliding_window", 12));
        assertMoved("gemma3", tmp.resolve("b"), c -> c.put("sliding_window", 12));
        assertMoved("gemma3", tmp.resolve("c"), c -> {
            ObjectNode rp = (ObjectNode) c.get("rope_parameters");
            rp.set("sliding_attention", rp.get("full_attention"));
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"gemma3", "gpt_oss"})
    void bf16WeightsMatchTheirReference(String arch) {
        Path d = GoldenRef.dir().resolve(arch).resolve("bf16");
        try (GoldenRef ref = GoldenRef.open(d.resolve("reference.safetensors"));
             GoldenRef inputs = GoldenRef.open(d.getParent().resolve("reference.safetensors"));
             ModelRuntime rt = ModelRuntime.open(d)) {
            double max = 0;
            for (int i = 0; i < 3; i++) {
                float[] logits = rt.forward(List.<int[]>of(inputs.ids("input_ids." + i)), Intervention.none(), Capture.logits())
                        .logits().getFirst();
                max = Math.max(max, GoldenRef.maxRelDiff(logits, ref.floats("logits." + i)));
            }
            System.out.printf("BF16 %s max rel=%.3g%n", arch, max);
            assertTrue(max < 1e-3, arch + " bf16 logits differ by " + max + " (relative)");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gemma3", "gpt_oss"})
    void orthogonalizedCheckpointsMatch(String arch) {
        Path d = GoldenRef.dir().resolve(arch);
        double max = 0;
        try (GoldenRef ref = GoldenRef.open(d.resolve("reference.safetensors"))) {
            for (String variant : List.of("ortho", "ortho_untied")) {
                if (!Files.isDirectory(d.resolve(variant))) continue;
                try (ModelRuntime rt = ModelRuntime.open(d.resolve(variant))) {
                    for (int i = 0; i < 3; i++) {
                        float[] logits = rt.forward(List.<int[]>of(ref.ids("input_ids." + i)), Intervention.none(),
                                Capture.logits()).logits().getFirst();
                        max = Math.max(max, GoldenRef.maxAbsDiff(logits, ref.floats(variant + ".logits." + i)));
                    }
                }
            }
        }
        System.out.printf("ORTHO %s max=%.3g%n", arch, max);
        assertTrue(max < TOL, arch + " orthogonalized logits differ by " + max);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gemma3", "gpt_oss"})
    void ablationMatchesHooks(String arch) {
        Path d = GoldenRef.dir().resolve(arch);
        try (GoldenRef ref = GoldenRef.open(d.resolve("reference.safetensors")); ModelRuntime rt = ModelRuntime.open(d)) {
            float[] r = ref.floats("direction");
            int layers = rt.config().numLayers();
            double max = 0, maxPost = 0, moved = 0;
            boolean post = ref.has("ablate_postnorm.logits.0");
            for (int i = 0; i < 3; i++) {
                int[] ids = ref.ids("input_ids." + i);
                ForwardResult a = rt.forward(List.<int[]>of(ids), Intervention.ablate(r), Capture.everything());
                max = Math.max(max, GoldenRef.maxAbsDiff(a.logits().getFirst(), ref.floats("ablate.logits." + i)));
                max = Math.max(max, GoldenRef.maxRelDiff(a.residual(0, layers), ref.floats("ablate.layer_output." + i + "." + (layers - 1))));
                moved = Math.max(moved, GoldenRef.maxAbsDiff(a.logits().getFirst(), ref.floats("logits." + i)));
                ForwardResult per = rt.forward(List.<int[]>of(ids),
                        new Intervention.Ablate(Collections.nCopies(layers, r), false), Capture.logits());
                max = Math.max(max, GoldenRef.maxAbsDiff(per.logits().getFirst(), ref.floats("ablate.logits." + i)));
                if (post) {
                    ForwardResult p = rt.forward(List.<int[]>of(ids), new Intervention.Ablate(List.of(r), true), Capture.everything());
                    maxPost = Math.max(maxPost, GoldenRef.maxAbsDiff(p.logits().getFirst(), ref.floats("ablate_postnorm.logits." + i)));
                    maxPost = Math.max(maxPost, GoldenRef.maxAbsDiff(p.residual(0, layers),
                            ref.floats("ablate_postnorm.layer_output." + i + "." + (layers - 1))));
                }
            }
            System.out.printf("ABLATE %s max=%.3g postnorm=%.3g (moved %.3g)%n", arch, max, maxPost, moved);
            assertTrue(max < TOL, arch + " ablation differs by " + max);
            assertTrue(maxPost < TOL, arch + " post-norm ablation differs by " + maxPost);
            assertTrue(post == arch.equals("gemma3"), "gemma3 has ablate_postnorm references");
            assertTrue(moved > 0.1, "the intervention must move the logits");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gemma3", "gpt_oss"})
    void activationAdditionMatches(String arch) {
        Path d = GoldenRef.dir().resolve(arch);
        try (GoldenRef ref = GoldenRef.open(d.resolve("reference.safetensors")); ModelRuntime rt = ModelRuntime.open(d)) {
            double[] m = forwardDiffs(rt, ref, "actadd.");
            System.out.printf("ACTADD %s logits=%.3g hidden rel=%.3g%n", arch, m[0], m[1]);
            assertTrue(m[0] < TOL && m[1] < TOL, arch + " activation addition differs by " + m[0] + ", " + m[1]);
        }
    }

    /** A left-padded batch gives each sequence's own logits (padding masked, sinks and windows included). */
    @ParameterizedTest
    @ValueSource(strings = {"gemma3", "gpt_oss"})
    void leftPaddedBatchEqualsSingleRuns(String arch) {
        Path d = GoldenRef.dir().resolve(arch);
        try (GoldenRef ref = GoldenRef.open(d.resolve("reference.safetensors")); ModelRuntime rt = ModelRuntime.open(d)) {
            List<int[]> seqs = List.of(ref.ids("input_ids.0"), ref.ids("input_ids.1"), ref.ids("input_ids.2"));
            ForwardResult batch = rt.forward(seqs, Intervention.none(), Capture.logits());
            double max = 0;
            for (int i = 0; i < 3; i++) max = Math.max(max, GoldenRef.maxAbsDiff(batch.logits().get(i), ref.floats("logits." + i)));
            assertTrue(max < TOL, arch + " batched logits differ by " + max);
        }
    }

    /** Cached greedy decoding equals the uncached recomputation (sliding masks and sinks with a past). */
    @ParameterizedTest
    @ValueSource(strings = {"gemma3", "gpt_oss"})
    void cachedGenerationEqualsUncached(String arch) {
        Path d = GoldenRef.dir().resolve(arch);
        try (GoldenRef ref = GoldenRef.open(d.resolve("reference.safetensors")); ModelRuntime rt = ModelRuntime.open(d)) {
            List<int[]> prompts = List.of(ref.ids("input_ids.0"), ref.ids("input_ids.2"));
            GenerationResult cached = rt.generate(prompts, 8, Intervention.none(), true);
            GenerationResult plain = rt.generate(prompts, 8, Intervention.none(), false);
            for (int b = 0; b < prompts.size(); b++) {
                assertTrue(java.util.Arrays.equals(cached.tokens().get(b), plain.tokens().get(b)), arch + " prompt " + b + ": "
                        + java.util.Arrays.toString(cached.tokens().get(b)) + " vs " + java.util.Arrays.toString(plain.tokens().get(b)));
            }
        }
    }

    /**
     * {max |logit difference|, max relative hidden-state difference} over the three sequences, against
     * the reference tensors named {@code prefix + "logits.i"} and {@code prefix + "hidden_states.i.j"}
     * (with the intervention that prefix stands for).
     */
    private static double[] forwardDiffs(ModelRuntime rt, GoldenRef ref, String prefix) {
        int layers = rt.config().numLayers();
        double logit = 0, hidden = 0;
        for (int i = 0; i < 3; i++) {
            Intervention iv = prefix.equals("actadd.") ? Intervention.actAdd(ref.floats("direction"), 1, 4.0) : Intervention.none();
            ForwardResult r = rt.forward(List.<int[]>of(ref.ids("input_ids." + i)), iv, Capture.everything());
            logit = Math.max(logit, GoldenRef.maxAbsDiff(r.logits().getFirst(), ref.floats(prefix + "logits." + i)));
            for (int j = 0; j < layers; j++) {
                hidden = Math.max(hidden, GoldenRef.maxRelDiff(r.residual(0, j), ref.floats(prefix + "hidden_states." + i + "." + j)));
            }
            hidden = Math.max(hidden, GoldenRef.maxRelDiff(r.finalNorm().getFirst(), ref.floats(prefix + "hidden_states." + i + "." + layers)));
            if (prefix.isEmpty()) {
                hidden = Math.max(hidden, GoldenRef.maxRelDiff(r.residual(0, layers),
                        ref.floats("layer_output." + i + "." + (layers - 1))));
            }
        }
        return new double[]{logit, hidden};
    }

    private static void assertMoved(String arch, Path tmp, Consumer<ObjectNode> edit) throws Exception {
        Path d = GoldenRef.dir().resolve(arch);
        ObjectMapper json = new ObjectMapper();
        ObjectNode cfg = (ObjectNode) json.readTree(d.resolve("config.json").toFile());
        edit.accept(cfg);
        Path m = copyWithConfig(d, tmp, json.writeValueAsString(cfg));
        try (GoldenRef ref = GoldenRef.open(d.resolve("reference.safetensors")); ModelRuntime rt = ModelRuntime.open(m)) {
            double logit = forwardDiffs(rt, ref, "")[0];
            assertTrue(logit > 100 * TOL, arch + ": a broken config must be caught, logits moved only " + logit);
        }
    }

    private static Path copyWithConfig(Path golden, Path tmp, String config) throws Exception {
        Files.createDirectories(tmp);
        Files.copy(golden.resolve("model.safetensors"), tmp.resolve("model.safetensors"));
        Files.writeString(tmp.resolve("config.json"), config);
        return tmp;
    }
}
