package dev.ortho.core.runtime;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** BF16 checkpoints, orthogonalized checkpoints, and interventions fed as graph inputs. */
class GoldenVariantsTest {

    @ParameterizedTest
    @ValueSource(strings = {"llama", "mistral", "qwen2", "gemma", "gemma2", "phi3", "gpt2", "mixtral", "llama_rope3", "qwen2_yarn", "llama_dynamic", "qwen2_moe", "mixtral_fused"})
    void bf16WeightsMatchTheirReference(String arch) {
        Path d = GoldenRef.dir().resolve(arch).resolve("bf16");
        try (GoldenRef ref = GoldenRef.open(d.resolve("reference.safetensors"));
             GoldenRef inputs = GoldenRef.open(d.getParent().resolve("reference.safetensors"));
             ModelRuntime rt = ModelRuntime.open(d)) {
            double max = 0;
            for (int i = 0; i < 3; i++) {
                String ids = ref.has("input_ids." + i) ? "input_ids." + i : null;
                int[] seq = ids != null ? ref.ids(ids) : inputs.ids("input_ids." + i);
                float[] logits = rt.forward(List.<int[]>of(seq), Intervention.none(), Capture.logits()).logits().getFirst();
                max = Math.max(max, GoldenRef.maxRelDiff(logits, ref.floats("logits." + i)));
            }
            System.out.printf("BF16 %s max rel=%.3g converted=%d bytes%n", arch, max, rt.convertedWeightBytes());
            assertTrue(max < 1e-3, arch + " bf16 logits differ by " + max + " (relative)");
            assertTrue(rt.convertedWeightBytes() == 0, "bf16 weights run from the mapping, no float32 arena");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "mistral", "qwen2", "gemma", "gemma2", "phi3", "gpt2", "mixtral", "llama_rope3", "qwen2_yarn", "llama_dynamic", "qwen2_moe", "mixtral_fused"})
    void orthogonalizedCheckpointsMatch(String arch) {
        Path d = GoldenRef.dir().resolve(arch);
        try (GoldenRef ref = GoldenRef.open(d.resolve("reference.safetensors"))) {
            double max = 0;
            try (ModelRuntime rt = ModelRuntime.open(d.resolve("ortho"))) {
                for (int i = 0; i < 3; i++) {
                    float[] logits = rt.forward(List.<int[]>of(ref.ids("input_ids." + i)), Intervention.none(),
                            Capture.logits()).logits().getFirst();
                    max = Math.max(max, GoldenRef.maxAbsDiff(logits, ref.floats("ortho.logits." + i)));
                }
            }
            if (Files.isDirectory(d.resolve("ortho_untied"))) {
                try (ModelRuntime rt = ModelRuntime.open(d.resolve("ortho_untied"))) {
                    for (int i = 0; i < 3; i++) {
                        float[] logits = rt.forward(List.<int[]>of(ref.ids("input_ids." + i)), Intervention.none(),
                                Capture.logits()).logits().getFirst();
                        max = Math.max(max, GoldenRef.maxAbsDiff(logits, ref.floats("ortho_untied.logits." + i)));
                    }
                }
            }
            System.out.printf("ORTHO %s max=%.3g%n", arch, max);
            assertTrue(max < 1e-4, arch + " orthogonalized logits differ by " + max);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "mistral", "qwen2", "gemma", "gemma2", "phi3", "gpt2", "mixtral", "llama_rope3", "qwen2_yarn", "llama_dynamic", "qwen2_moe", "mixtral_fused"})
    void ablationAsGraphInputMatchesHooks(String arch) {
        Path d = GoldenRef.dir().resolve(arch);
        try (GoldenRef ref = GoldenRef.open(d.resolve("reference.safetensors"));
             ModelRuntime rt = ModelRuntime.open(d)) {
            float[] r = ref.floats("direction");
            int layers = rt.config().numLayers();
            double max = 0, maxPost = 0, moved = 0;
            for (int i = 0; i < 3; i++) {
                int[] ids = ref.ids("input_ids." + i);
                ForwardResult a = rt.forward(List.<int[]>of(ids), Intervention.ablate(r), Capture.everything());
                max = Math.max(max, GoldenRef.maxAbsDiff(a.logits().getFirst(), ref.floats("ablate.logits." + i)));
                max = Math.max(max, GoldenRef.maxAbsDiff(a.residual(0, layers), ref.floats("ablate.layer_output." + i + "." + (layers - 1))));
                moved = Math.max(moved, GoldenRef.maxAbsDiff(a.logits().getFirst(), ref.floats("logits." + i)));
                if (ref.has("ablate_postnorm.logits." + i)) {
                    ForwardResult p = rt.forward(List.<int[]>of(ids), new Intervention.Ablate(List.of(r), true), Capture.logits());
                    maxPost = Math.max(maxPost, GoldenRef.maxAbsDiff(p.logits().getFirst(), ref.floats("ablate_postnorm.logits." + i)));
                }
                // One direction per layer, all equal, is the same intervention.
                ForwardResult per = rt.forward(List.<int[]>of(ids),
                        new Intervention.Ablate(java.util.Collections.nCopies(layers, r), false), Capture.logits());
                max = Math.max(max, GoldenRef.maxAbsDiff(per.logits().getFirst(), ref.floats("ablate.logits." + i)));
            }
            System.out.printf("ABLATE %s max=%.3g postnorm=%.3g (moved %.3g)%n", arch, max, maxPost, moved);
            assertTrue(max < 1e-4, arch + " ablation differs by " + max);
            assertTrue(maxPost < 1e-4, arch + " post-norm ablation differs by " + maxPost);
            assertTrue(moved > 0.1, "the intervention must move the logits");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "mistral", "qwen2", "gemma", "gemma2", "phi3", "gpt2", "mixtral", "llama_rope3", "qwen2_yarn", "llama_dynamic", "qwen2_moe", "mixtral_fused"})
    void activationAdditionMatches(String arch) {
        Path d = GoldenRef.dir().resolve(arch);
        try (GoldenRef ref = GoldenRef.open(d.resolve("reference.safetensors"));
             ModelRuntime rt = ModelRuntime.open(d)) {
            float[] r = ref.floats("direction");
            int layers = rt.config().numLayers();
            double max = 0;
            for (int i = 0; i < 3; i++) {
                ForwardResult a = rt.forward(List.<int[]>of(ref.ids("input_ids." + i)), Intervention.actAdd(r, 1, 4.0),
                        Capture.everything());
                max = Math.max(max, GoldenRef.maxAbsDiff(a.logits().getFirst(), ref.floats("actadd.logits." + i)));
                for (int j = 0; j < layers; j++) {
                    max = Math.max(max, GoldenRef.maxAbsDiff(a.residual(0, j), ref.floats("actadd.hidden_states." + i + "." + j)));
                }
                max = Math.max(max, GoldenRef.maxAbsDiff(a.finalNorm().getFirst(), ref.floats("actadd.hidden_states." + i + "." + layers)));
            }
            System.out.printf("ACTADD %s max=%.3g%n", arch, max);
            assertTrue(max < 1e-4, arch + " activation addition differs by " + max);
        }
    }
}
