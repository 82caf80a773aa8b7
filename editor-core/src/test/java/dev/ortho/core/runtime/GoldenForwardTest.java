package dev.ortho.core.runtime;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Logits and every hidden state of the float32 golden checkpoints against transformers. */
class GoldenForwardTest {

    static final double TOL = 1e-4;

    @ParameterizedTest
    @ValueSource(strings = {"llama", "mistral", "qwen2", "gemma", "gemma2", "phi3", "gpt2", "mixtral", "llama_rope3", "qwen2_yarn", "llama_dynamic", "qwen2_moe", "mixtral_fused"})
    void logitsAndHiddenStatesMatchTransformers(String arch) {
        Path d = GoldenRef.dir().resolve(arch);
        try (GoldenRef ref = GoldenRef.open(d.resolve("reference.safetensors"));
             ModelRuntime rt = ModelRuntime.open(d)) {
            int layers = rt.config().numLayers();
            double maxLogit = 0, maxHidden = 0;
            for (int i = 0; i < 3; i++) {
                int[] ids = ref.ids("input_ids." + i);
                ForwardResult r = rt.forward(List.<int[]>of(ids), Intervention.none(), Capture.everything());
                maxLogit = Math.max(maxLogit, GoldenRef.maxAbsDiff(r.logits().getFirst(), ref.floats("logits." + i)));
                for (int j = 0; j < layers; j++) {
                    maxHidden = Math.max(maxHidden, GoldenRef.maxAbsDiff(r.residual(0, j), ref.floats("hidden_states." + i + "." + j)));
                }
                maxHidden = Math.max(maxHidden, GoldenRef.maxAbsDiff(r.residual(0, layers),
                        ref.floats("layer_output." + i + "." + (layers - 1))));
                maxHidden = Math.max(maxHidden, GoldenRef.maxAbsDiff(r.finalNorm().getFirst(),
                        ref.floats("hidden_states." + i + "." + layers)));
            }
            System.out.printf("GOLDEN %s max|dlogit|=%.3g max|dhidden|=%.3g%n", arch, maxLogit, maxHidden);
            assertTrue(maxLogit < TOL, arch + " logits differ by " + maxLogit);
            assertTrue(maxHidden < TOL, arch + " hidden states differ by " + maxHidden);
        }
    }
}
