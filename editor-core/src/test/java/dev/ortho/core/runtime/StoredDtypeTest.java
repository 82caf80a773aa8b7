package dev.ortho.core.runtime;

import dev.ortho.fixtures.FixtureArch;
import dev.ortho.fixtures.FixtureCheckpoints;
import dev.ortho.formats.safetensors.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * BF16/F16 weights run in their stored dtype from the file mapping (no float32 arena) by default, and
 * widened into the arena on request ({@link RuntimeOptions#weightsF32()}); both compute in float32 and
 * match the references.
 */
class StoredDtypeTest {

    @TempDir
    Path tmp;

    /** Golden bf16 logits with the weights split into many chunks: split Gemms, split Gather, each chunk cast. */
    @ParameterizedTest
    @ValueSource(strings = {"llama", "gpt2", "gemma"})
    void splitBf16WeightsMatchTheirReference(String arch) {
        Path d = GoldenRef.dir().resolve(arch).resolve("bf16");
        try (GoldenRef ref = GoldenRef.open(d.resolve("reference.safetensors"));
             GoldenRef inputs = GoldenRef.open(d.getParent().resolve("reference.safetensors"));
             ModelRuntime rt = ModelRuntime.open(d, RuntimeOptions.defaults().withMaxChunkBytes(20_000))) {
            List<int[]> seqs = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                seqs.add(ref.has("input_ids." + i) ? ref.ids("input_ids." + i) : inputs.ids("input_ids." + i));
            }
            ForwardResult r = rt.forward(seqs, Intervention.none(), Capture.logits());
            double max = 0;
            for (int i = 0; i < 3; i++) max = Math.max(max, GoldenRef.maxRelDiff(r.logits().get(i), ref.floats("logits." + i)));
            System.out.printf("SPLIT BF16 %s max rel=%.3g%n", arch, max);
            assertEquals(0, rt.convertedWeightBytes(), "no float32 arena by default");
            assertTrue(max < 1e-3, arch + " split bf16 logits differ by " + max + " (relative)");
        }
    }

    /** The opt-in arena widens every BF16 weight (4 bytes a parameter) and gives the same logits bit for bit. */
    @Test
    void weightsF32ArenaIsOptInAndGivesTheSameLogits() {
        Path d = GoldenRef.dir().resolve("llama").resolve("bf16");
        int[] ids;
        try (GoldenRef inputs = GoldenRef.open(d.getParent().resolve("reference.safetensors"))) {
            ids = inputs.ids("input_ids.0");
        }
        float[] stored, widened;
        long params;
        try (ModelRuntime rt = ModelRuntime.open(d)) {
            stored = rt.forward(List.of(ids), Intervention.none(), Capture.logits()).logits().getFirst();
            assertEquals(0, rt.convertedWeightBytes());
        }
        try (ModelRuntime rt = ModelRuntime.open(d, RuntimeOptions.defaults().withWeightsF32(true))) {
            widened = rt.forward(List.of(ids), Intervention.none(), Capture.logits()).logits().getFirst();
            try (var ck = dev.ortho.formats.checkpoint.Checkpoint.open(d)) {
                params = ck.tensors().stream().mapToLong(t -> t.info().elementCount()).sum();
            }
            assertEquals(params * Float.BYTES, rt.convertedWeightBytes(), "every weight widened once");
        }
        assertArrayEquals(widened, stored, "a Cast in the graph and the Java widening give the same float32 values");
    }

    /** The KV-cache graph casts its weights the same way: cached greedy decoding equals uncached, token for token. */
    @Test
    void bf16CachedGenerationEqualsUncached() {
        Path d = GoldenRef.dir().resolve("llama").resolve("bf16");
        List<int[]> prompts;
        try (GoldenRef inputs = GoldenRef.open(d.getParent().resolve("reference.safetensors"))) {
            prompts = List.of(inputs.ids("input_ids.0"), inputs.ids("input_ids.1"));
        }
        try (ModelRuntime rt = ModelRuntime.open(d)) {
            GenerationResult cached = rt.generate(prompts, 6, Intervention.none(), true);
            GenerationResult uncached = rt.generate(prompts, 6, Intervention.none(), false);
            for (int i = 0; i < prompts.size(); i++) assertArrayEquals(uncached.tokens().get(i), cached.tokens().get(i));
            assertEquals(0, rt.convertedWeightBytes());
        }
    }

    /** F16 (no golden data): against the independent float64 forward pass on the same F16 values. */
    @Test
    void f16WeightsMatchThePlainReference() {
        Path dir = FixtureCheckpoints.write(tmp.resolve("llama-f16"), FixtureArch.LLAMA, DType.F16, 9, 2);
        int[] ids = {5, 17, 90, 3, 44, 61, 12};
        double[][] ref = PlainReference.logits(dir, ids);
        for (boolean f32 : new boolean[]{false, true}) {
            try (ModelRuntime rt = ModelRuntime.open(dir, RuntimeOptions.defaults().withWeightsF32(f32))) {
                float[] got = rt.forward(List.of(ids), Intervention.none(), Capture.logits()).logits().getFirst();
                int v = rt.config().vocabSize();
                double max = 0, scale = 0;
                for (int p = 0; p < ids.length; p++) {
                    for (int j = 0; j < v; j++) {
                        max = Math.max(max, Math.abs(got[p * v + j] - ref[p][j]));
                        scale = Math.max(scale, Math.abs(ref[p][j]));
                    }
                }
                System.out.printf("F16 weightsF32=%s max=%.3g (logit scale %.3g) converted=%d%n", f32, max, scale,
                        rt.convertedWeightBytes());
                assertEquals(f32, rt.convertedWeightBytes() > 0, "arena only when asked for");
                assertTrue(max < 1e-4, "f16 (weightsF32=" + f32 + ") differs from the plain reference by " + max);
                assertTrue(scale > 0.1, "logits are not trivial");
            }
        }
    }
}
