package dev.ortho.core.runtime;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Left-padded batches equal single runs; cached greedy decoding equals uncached. */
class BatchAndGenerationTest {

    @ParameterizedTest
    @ValueSource(strings = {"llama", "mistral", "qwen2", "gemma", "gemma2", "phi3", "gpt2", "mixtral", "mixtral_fused",
            "qwen2_moe", "llama_rope3", "qwen2_yarn"})
    void leftPaddedBatchEqualsSingleRuns(String arch) {
        Path d = GoldenRef.dir().resolve(arch);
        try (GoldenRef ref = GoldenRef.open(d.resolve("reference.safetensors"));
             ModelRuntime rt = ModelRuntime.open(d)) {
            List<int[]> seqs = List.of(ref.ids("input_ids.0"), ref.ids("input_ids.1"), ref.ids("input_ids.2"));
            float[] r = ref.floats("direction");
            for (Intervention iv : List.of(Intervention.none(), Intervention.ablate(r), Intervention.actAdd(r, 1, 4.0))) {
                ForwardResult batch = rt.forward(seqs, iv, Capture.everything());
                double max = 0;
                for (int i = 0; i < seqs.size(); i++) {
                    ForwardResult one = rt.forward(List.of(seqs.get(i)), iv, Capture.everything());
                    max = Math.max(max, GoldenRef.maxAbsDiff(batch.logits().get(i), one.logits().getFirst()));
                    for (int j = 0; j <= rt.config().numLayers(); j++) {
                        max = Math.max(max, GoldenRef.maxAbsDiff(batch.residual(i, j), one.residual(0, j)));
                    }
                }
                System.out.printf("BATCH %s %s max=%.3g%n", arch, iv.getClass().getSimpleName(), max);
                assertTrue(max < 1e-4, arch + " batched differs from single by " + max);
            }
            // Last-position logits and last-k residuals are slices of the full outputs.
            ForwardResult full = rt.forward(seqs, Intervention.none(), Capture.everything());
            ForwardResult last = rt.forward(seqs, Intervention.none(), new Capture(true, 2, true));
            for (int i = 0; i < seqs.size(); i++) {
                int n = seqs.get(i).length, h = rt.config().hiddenSize();
                assertTrue(GoldenRef.maxAbsDiff(last.logitsRow(i, 0), full.logitsRow(i, n - 1)) < 1e-5);
                float[] tail = java.util.Arrays.copyOfRange(full.residual(i, 1), (n - 2) * h, n * h);
                assertTrue(GoldenRef.maxAbsDiff(last.residual(i, 1), tail) < 1e-5);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "gemma2", "phi3", "gpt2", "mixtral", "mixtral_fused", "qwen2_moe", "qwen2_yarn"})
    void cachedGenerationEqualsUncached(String arch) {
        Path d = GoldenRef.dir().resolve(arch);
        try (GoldenRef ref = GoldenRef.open(d.resolve("reference.safetensors"));
             ModelRuntime rt = ModelRuntime.open(d)) {
            List<int[]> prompts = List.of(ref.ids("input_ids.0"), ref.ids("input_ids.1"), ref.ids("input_ids.2"));
            float[] r = ref.floats("direction");
            for (Intervention iv : List.of(Intervention.none(), Intervention.ablate(r), Intervention.actAdd(r, 1, 4.0))) {
                GenerationResult cached = rt.generate(prompts, 8, iv, true);
                GenerationResult uncached = rt.generate(prompts, 8, iv, false);
                for (int i = 0; i < prompts.size(); i++) {
                    assertArrayEquals(uncached.tokens().get(i), cached.tokens().get(i), arch + " prompt " + i);
                    assertTrue(cached.tokens().get(i).length >= 1);
                }
                // Each prompt alone decodes the same tokens as in the batch.
                GenerationResult alone = rt.generate(List.of(prompts.get(1)), 8, iv, true);
                assertArrayEquals(cached.tokens().get(1), alone.tokens().getFirst());
                // And the first generated token is the argmax of the reference logits' last row.
                if (iv instanceof Intervention.None) {
                    for (int i = 0; i < prompts.size(); i++) {
                        float[] logits = ref.floats("logits." + i);
                        int v = rt.config().vocabSize(), n = prompts.get(i).length, best = 0;
                        for (int j = 1; j < v; j++) if (logits[(n - 1) * v + j] > logits[(n - 1) * v + best]) best = j;
                        assertEquals(best, cached.tokens().get(i)[0]);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "gpt2", "gemma", "mixtral_fused", "qwen2_moe"})
    void splitWeightsGiveTheSameNumbers(String arch) {
        Path d = GoldenRef.dir().resolve(arch);
        try (GoldenRef ref = GoldenRef.open(d.resolve("reference.safetensors"));
             ModelRuntime rt = ModelRuntime.open(d, RuntimeOptions.defaults().withMaxChunkBytes(20_000))) {
            List<int[]> seqs = new ArrayList<>();
            for (int i = 0; i < 3; i++) seqs.add(ref.ids("input_ids." + i));
            ForwardResult r = rt.forward(seqs, Intervention.none(), Capture.logits());
            double max = 0;
            for (int i = 0; i < 3; i++) max = Math.max(max, GoldenRef.maxAbsDiff(r.logits().get(i), ref.floats("logits." + i)));
            System.out.printf("SPLIT %s max=%.3g%n", arch, max);
            assertTrue(max < 1e-4, arch + " with split weights differs by " + max);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "gemma2", "mixtral_fused", "llama_dynamic"})
    void initializerBindingGivesTheSameNumbers(String arch) {
        Path d = GoldenRef.dir().resolve(arch);
        try (GoldenRef ref = GoldenRef.open(d.resolve("reference.safetensors"));
             ModelRuntime rt = ModelRuntime.open(d, RuntimeOptions.defaults().withBinding(WeightBinding.INITIALIZER))) {
            double max = 0;
            for (int i = 0; i < 3; i++) {
                float[] logits = rt.forward(List.<int[]>of(ref.ids("input_ids." + i)), Intervention.none(), Capture.logits())
                        .logits().getFirst();
                max = Math.max(max, GoldenRef.maxAbsDiff(logits, ref.floats("logits." + i)));
            }
            assertTrue(max < 1e-4, arch + " with initializer binding differs by " + max);
        }
    }

    /**
     * Dynamic NTK rope follows the call's length {@code L = max(position) + 1}, one L for the whole batch
     * as transformers does: in a batch the longest row matches its reference and a shorter row does not
     * (it is rotated with the longest row's frequencies); cached generation starts from the prompt's own
     * length, so its first token is the reference argmax.
     */
    @org.junit.jupiter.api.Test
    void dynamicRopeUsesTheLengthOfTheCall() {
        Path d = GoldenRef.dir().resolve("llama_dynamic");
        try (GoldenRef ref = GoldenRef.open(d.resolve("reference.safetensors"));
             ModelRuntime rt = ModelRuntime.open(d)) {
            int[] s0 = ref.ids("input_ids.0"), s1 = ref.ids("input_ids.1");
            ForwardResult batch = rt.forward(List.of(s0, s1), Intervention.none(), Capture.logits());
            assertTrue(GoldenRef.maxAbsDiff(batch.logits().get(1), ref.floats("logits.1")) < 1e-4);
            assertTrue(GoldenRef.maxAbsDiff(batch.logits().get(0), ref.floats("logits.0")) > 1e-3);
            int v = rt.config().vocabSize(), n = s0.length, best = 0;
            float[] logits = ref.floats("logits.0");
            for (int j = 1; j < v; j++) if (logits[(n - 1) * v + j] > logits[(n - 1) * v + best]) best = j;
            assertEquals(best, rt.generate(List.of(s0), 4, Intervention.none()).tokens().getFirst()[0]);
        }
    }
}
