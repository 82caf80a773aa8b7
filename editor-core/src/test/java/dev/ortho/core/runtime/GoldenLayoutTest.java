package dev.ortho.core.runtime;

import dev.ortho.formats.config.ModelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The same model from a sharded checkpoint and from legacy config.json key names. */
class GoldenLayoutTest {

    @TempDir
    Path tmp;

    private static double maxLogitError(ModelRuntime rt, GoldenRef ref) {
        double max = 0;
        for (int i = 0; i < 3; i++) {
            float[] logits = rt.forward(List.<int[]>of(ref.ids("input_ids." + i)), Intervention.none(), Capture.logits())
                    .logits().getFirst();
            max = Math.max(max, GoldenRef.maxAbsDiff(logits, ref.floats("logits." + i)));
        }
        return max;
    }

    @Test
    void shardedCheckpointGivesTheSameLogits() {
        Path d = GoldenRef.dir().resolve("llama");
        try (GoldenRef ref = GoldenRef.open(d.resolve("reference.safetensors"));
             ModelRuntime rt = ModelRuntime.open(d.resolve("sharded"))) {
            double max = maxLogitError(rt, ref);
            assertTrue(max < 1e-4, "sharded llama differs by " + max);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "mistral", "qwen2", "gemma", "gemma2", "phi3", "gpt2", "mixtral", "mixtral_fused",
            "qwen2_moe", "llama_rope3", "qwen2_yarn", "llama_dynamic"})
    void legacyConfigKeysGiveTheSameModel(String arch) throws Exception {
        Path d = GoldenRef.dir().resolve(arch);
        // The typed settings agree field by field (raw JSON aside), rope scaling included.
        ModelConfig modern = ModelConfig.read(d.resolve("config.json")), old = ModelConfig.read(d.resolve("config.legacy.json"));
        assertEquals(modern.ropeScaling(), old.ropeScaling(), arch + " rope scaling");
        assertEquals(modern.ropeTheta(), old.ropeTheta(), arch + " rope theta");
        assertEquals(modern.slidingWindow(), old.slidingWindow(), arch + " sliding window");
        assertEquals(modern.numExperts(), old.numExperts(), arch + " experts");
        Path legacy = Files.createDirectories(tmp.resolve(arch));
        Files.copy(d.resolve("config.legacy.json"), legacy.resolve("config.json"));
        Files.createSymbolicLink(legacy.resolve("model.safetensors"), d.resolve("model.safetensors"));
        try (GoldenRef ref = GoldenRef.open(d.resolve("reference.safetensors"));
             ModelRuntime rt = ModelRuntime.open(legacy)) {
            double max = maxLogitError(rt, ref);
            assertTrue(max < 1e-4, arch + " with config.legacy.json differs by " + max);
        }
    }
}
