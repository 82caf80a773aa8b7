package dev.ortho.core.runtime;

import dev.ortho.fixtures.FixtureArch;
import dev.ortho.fixtures.FixtureCheckpoints;
import dev.ortho.formats.safetensors.DType;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Qwen3 and GPT-NeoX have no golden data: generated checkpoints are checked against the plain-Java
 * float64 reference, for causality, batch invariance and cache equivalence. Needs no shared data.
 */
class FixtureArchTest {

    @TempDir
    Path tmp;

    @ParameterizedTest
    @EnumSource(value = FixtureArch.class, names = {"QWEN3", "GPT_NEOX", "LLAMA", "PHI3", "QWEN3_MOE", "QWEN2_MOE", "MIXTRAL",
            "MIXTRAL_FUSED"})
    void matchesPlainJavaReference(FixtureArch arch) {
        Path dir = FixtureCheckpoints.write(tmp.resolve(arch.name()), arch, DType.F32, 7, 1);
        int[] ids = {5, 17, 90, 3, 44, 61, 12};
        double[][] ref = PlainReference.logits(dir, ids);
        try (ModelRuntime rt = ModelRuntime.open(dir)) {
            float[] got = rt.forward(List.of(ids), Intervention.none(), Capture.logits()).logits().getFirst();
            int v = rt.config().vocabSize();
            double max = 0, scale = 0;
            for (int p = 0; p < ids.length; p++) {
                for (int j = 0; j < v; j++) {
                    max = Math.max(max, Math.abs(got[p * v + j] - ref[p][j]));
                    scale = Math.max(scale, Math.abs(ref[p][j]));
                }
            }
            System.out.printf("PLAIN %s max=%.3g (logit scale %.3g)%n", arch, max, scale);
            assertTrue(max < 1e-4, arch + " differs from the plain reference by " + max);
            assertTrue(scale > 0.1, "logits are not trivial");
        }
    }

    @ParameterizedTest
    @EnumSource(value = FixtureArch.class, names = {"QWEN3", "GPT_NEOX", "QWEN3_MOE"})
    void causalBatchedAndCached(FixtureArch arch) {
        Path dir = FixtureCheckpoints.write(tmp.resolve(arch.name()), arch, DType.F32, 11, 2);
        int[] a = {5, 17, 90, 3, 44, 61, 12}, b = {8, 2, 33}, a2 = {5, 17, 90, 3, 44, 61, 70};
        try (ModelRuntime rt = ModelRuntime.open(dir)) {
            int v = rt.config().vocabSize();
            ForwardResult ra = rt.forward(List.of(a), Intervention.none(), Capture.everything());
            ForwardResult ra2 = rt.forward(List.of(a2), Intervention.none(), Capture.logits());
            // Causal: changing the last token changes nothing before it, and something at it.
            float[] x = ra.logits().getFirst(), y = ra2.logits().getFirst();
            assertTrue(GoldenRef.maxAbsDiff(java.util.Arrays.copyOf(x, 6 * v), java.util.Arrays.copyOf(y, 6 * v)) < 1e-6);
            assertTrue(GoldenRef.maxAbsDiff(x, y) > 1e-3);
            ForwardResult batch = rt.forward(List.of(b, a), Intervention.none(), Capture.everything());
            ForwardResult rb = rt.forward(List.of(b), Intervention.none(), Capture.everything());
            assertTrue(GoldenRef.maxAbsDiff(batch.logits().get(1), x) < 1e-4);
            assertTrue(GoldenRef.maxAbsDiff(batch.logits().get(0), rb.logits().getFirst()) < 1e-4);
            for (int j = 0; j <= rt.config().numLayers(); j++) {
                assertTrue(GoldenRef.maxAbsDiff(batch.residual(1, j), ra.residual(0, j)) < 1e-4);
            }
            GenerationResult cached = rt.generate(List.of(a, b), 10, Intervention.none(), true);
            GenerationResult uncached = rt.generate(List.of(a, b), 10, Intervention.none(), false);
            assertArrayEquals(uncached.tokens().get(0), cached.tokens().get(0));
            assertArrayEquals(uncached.tokens().get(1), cached.tokens().get(1));
            float[] r = new float[rt.config().hiddenSize()];
            r[3] = 1;
            GenerationResult ablated = rt.generate(List.of(a, b), 10, Intervention.ablate(r), true);
            GenerationResult ablatedRef = rt.generate(List.of(a, b), 10, Intervention.ablate(r), false);
            assertArrayEquals(ablatedRef.tokens().get(0), ablated.tokens().get(0));
        }
    }

    /** Rewrites config.json with one key changed (the fixture writes transformers-5 names). */
    private static void patchConfig(Path dir, String key, Object value) throws Exception {
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        var root = (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(dir.resolve("config.json").toFile());
        root.set(key, mapper.valueToTree(value));
        mapper.writeValue(dir.resolve("config.json").toFile(), root);
    }

    @org.junit.jupiter.api.Test
    void slidingWindowMatchesReferenceAndCache() throws Exception {
        Path dir = FixtureCheckpoints.write(tmp.resolve("mistral"), FixtureArch.MISTRAL, DType.F32, 5, 1);
        patchConfig(dir, "sliding_window", 3);
        int[] ids = {5, 17, 90, 3, 44, 61, 12, 8, 9};
        double[][] ref = PlainReference.logits(dir, ids);
        try (ModelRuntime rt = ModelRuntime.open(dir)) {
            float[] got = rt.forward(List.of(ids), Intervention.none(), Capture.logits()).logits().getFirst();
            int v = rt.config().vocabSize();
            double max = 0;
            for (int p = 0; p < ids.length; p++) for (int j = 0; j < v; j++) max = Math.max(max, Math.abs(got[p * v + j] - ref[p][j]));
            assertTrue(max < 1e-4, "sliding window differs from the plain reference by " + max);
            // A window of 3 must matter: the same model without it gives other logits at late positions.
            patchConfig(dir, "sliding_window", null);
            try (ModelRuntime full = ModelRuntime.open(dir)) {
                float[] f = full.forward(List.of(ids), Intervention.none(), Capture.logits()).logits().getFirst();
                assertTrue(GoldenRef.maxAbsDiff(f, got) > 1e-3);
            }
            GenerationResult cached = rt.generate(List.of(ids, new int[]{4, 4}), 12, Intervention.none(), true);
            GenerationResult uncached = rt.generate(List.of(ids, new int[]{4, 4}), 12, Intervention.none(), false);
            assertArrayEquals(uncached.tokens().get(0), cached.tokens().get(0));
            assertArrayEquals(uncached.tokens().get(1), cached.tokens().get(1));
        }
    }

    @org.junit.jupiter.api.Test
    void linearRopeScalingMatchesReference() throws Exception {
        Path dir = FixtureCheckpoints.write(tmp.resolve("llama"), FixtureArch.LLAMA, DType.F32, 9, 1);
        patchConfig(dir, "rope_parameters", java.util.Map.of("rope_type", "linear", "factor", 4.0, "rope_theta", 10000.0));
        int[] ids = {5, 17, 90, 3, 44, 61, 12};
        double[][] ref = PlainReference.logits(dir, ids);
        try (ModelRuntime rt = ModelRuntime.open(dir)) {
            float[] got = rt.forward(List.of(ids), Intervention.none(), Capture.logits()).logits().getFirst();
            int v = rt.config().vocabSize();
            double max = 0;
            for (int p = 0; p < ids.length; p++) for (int j = 0; j < v; j++) max = Math.max(max, Math.abs(got[p * v + j] - ref[p][j]));
            assertTrue(max < 1e-4, "linear rope differs from the plain reference by " + max);
        }
    }

    private static double maxDiff(float[] got, double[][] ref, int v) {
        double max = 0;
        for (int p = 0; p < ref.length; p++) for (int j = 0; j < v; j++) max = Math.max(max, Math.abs(got[p * v + j] - ref[p][j]));
        return max;
    }

    /** Every rope type on a generated Llama against the float64 reference, at lengths on both sides of the limits. */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"llama3", "yarn", "yarn_untruncated", "dynamic", "longrope"})
    void ropeTypesMatchReference(String type) throws Exception {
        Path dir = FixtureCheckpoints.write(tmp.resolve(type), FixtureArch.LLAMA, DType.F32, 13, 1);
        java.util.Map<String, Object> rope = new java.util.LinkedHashMap<>();
        rope.put("rope_theta", 10000.0);
        rope.put("rope_type", type.startsWith("yarn") ? "yarn" : type);
        switch (type) {
            case "llama3" -> {
                rope.putAll(java.util.Map.of("factor", 8.0, "low_freq_factor", 1.0, "high_freq_factor", 4.0,
                        "original_max_position_embeddings", 16));
            }
            case "yarn" -> rope.putAll(java.util.Map.of("factor", 4.0, "original_max_position_embeddings", 16));
            case "yarn_untruncated" -> rope.putAll(java.util.Map.of("factor", 32.0, "original_max_position_embeddings", 4096,
                    "truncate", false, "beta_fast", 32.0, "beta_slow", 1.0));
            case "dynamic" -> {
                rope.put("factor", 2.0);
                patchConfig(dir, "max_position_embeddings", 4);
            }
            case "longrope" -> {
                rope.put("short_factor", List.of(1.0, 1.3, 2.1, 3.7));
                rope.put("long_factor", List.of(1.1, 2.9, 7.5, 16.0));
                rope.put("original_max_position_embeddings", 4);
            }
            default -> throw new IllegalArgumentException(type);
        }
        patchConfig(dir, "rope_parameters", rope);
        try (ModelRuntime rt = ModelRuntime.open(dir)) {
            int v = rt.config().vocabSize();
            for (int[] ids : List.of(new int[]{5, 17, 90}, new int[]{5, 17, 90, 3, 44, 61, 12})) {
                double[][] ref = PlainReference.logits(dir, ids);
                double max = maxDiff(rt.forward(List.of(ids), Intervention.none(), Capture.logits()).logits().getFirst(), ref, v);
                System.out.printf("ROPE-PLAIN %s L=%d max=%.3g%n", type, ids.length, max);
                assertTrue(max < 1e-4, type + " rope at length " + ids.length + " differs from the plain reference by " + max);
            }
        }
    }

    /**
     * Phi-3 LongRoPE as published configs write it: factors in rope_scaling (legacy `type`), the original
     * length at the top level, cos/sin scaled by sqrt(1 + ln(max/omax) / ln(omax)). Short and long
     * sequences pick their own factors; swapping the two lists must change the long sequence's logits.
     */
    @org.junit.jupiter.api.Test
    void phi3LongRopeMatchesReference() throws Exception {
        Path dir = FixtureCheckpoints.write(tmp.resolve("phi3"), FixtureArch.PHI3, DType.F32, 17, 1);
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        var root = (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(dir.resolve("config.json").toFile());
        root.remove("rope_parameters");
        root.put("rope_theta", 10000.0);
        root.put("original_max_position_embeddings", 4);
        root.set("rope_scaling", mapper.valueToTree(java.util.Map.of("type", "longrope",
                "short_factor", List.of(1.0, 1.3, 2.1, 3.7), "long_factor", List.of(1.1, 2.9, 7.5, 16.0))));
        mapper.writeValue(dir.resolve("config.json").toFile(), root);
        int[] shortIds = {5, 17, 90, 3}, longIds = {5, 17, 90, 3, 44, 61, 12};
        float[] longLogits;
        try (ModelRuntime rt = ModelRuntime.open(dir)) {
            int v = rt.config().vocabSize();
            assertEquals(Math.sqrt(1 + Math.log(64.0 / 4) / Math.log(4)), Rope.at(rt.config(), dir, 7).attentionScaling(), 1e-6);
            for (int[] ids : List.of(shortIds, longIds)) {
                double max = maxDiff(rt.forward(List.of(ids), Intervention.none(), Capture.logits()).logits().getFirst(),
                        PlainReference.logits(dir, ids), v);
                System.out.printf("LONGROPE phi3 L=%d max=%.3g%n", ids.length, max);
                assertTrue(max < 1e-4, "phi3 longrope at length " + ids.length + " differs by " + max);
            }
            longLogits = rt.forward(List.of(longIds), Intervention.none(), Capture.logits()).logits().getFirst();
            // Generation crosses the original length: each step's frequencies follow its own length.
            GenerationResult g = rt.generate(List.of(shortIds), 5, Intervention.none());
            assertEquals(5, g.tokens().getFirst().length);
        }
        // Early Phi-3 releases wrote "su" for the same scaling; Phi3Config reads it as longrope.
        var su = root.deepCopy();
        su.set("rope_scaling", mapper.valueToTree(java.util.Map.of("type", "su",
                "short_factor", List.of(1.0, 1.3, 2.1, 3.7), "long_factor", List.of(1.1, 2.9, 7.5, 16.0))));
        // The alias and Phi3Config's default original length come from the phi3 spec's runtime.rope, not from Java.
        var rules = dev.ortho.core.arch.ArchRegistry.builtin().byName("phi3").orElseThrow().runtime().orElseThrow().rope();
        assertEquals(dev.ortho.formats.config.ModelConfig.fromJson(root, dir).withRopeRules(rules, dir).ropeScaling(),
                dev.ortho.formats.config.ModelConfig.fromJson(su, dir).withRopeRules(rules, dir).ropeScaling());
        assertEquals("su", dev.ortho.formats.config.ModelConfig.fromJson(su, dir).ropeScaling().orElseThrow().type());
        // No top-level original length: Phi3Config's 4096, where transformers' generic reading takes max_position_embeddings.
        var noTop = root.deepCopy();
        noTop.remove("original_max_position_embeddings");
        assertEquals(java.util.Optional.of(4096), dev.ortho.formats.config.ModelConfig.fromJson(noTop, dir)
                .withRopeRules(rules, dir).ropeScaling().orElseThrow().originalMaxPositionEmbeddings());
        assertEquals(java.util.Optional.of(64), dev.ortho.formats.config.ModelConfig.fromJson(noTop, dir)
                .ropeScaling().orElseThrow().originalMaxPositionEmbeddings());
        root.set("rope_scaling", mapper.valueToTree(java.util.Map.of("type", "longrope",
                "short_factor", List.of(1.1, 2.9, 7.5, 16.0), "long_factor", List.of(1.0, 1.3, 2.1, 3.7))));
        mapper.writeValue(dir.resolve("config.json").toFile(), root);
        try (ModelRuntime swapped = ModelRuntime.open(dir)) {
            float[] other = swapped.forward(List.of(longIds), Intervention.none(), Capture.logits()).logits().getFirst();
            assertTrue(GoldenRef.maxAbsDiff(other, longLogits) > 1e-2, "the factor lists must matter");
        }
    }

    /**
     * One token routes to 2 of 3 experts, so an expert runs on zero rows; the Qwen3-MoE fixture's
     * renormalization must matter (switching norm_topk_prob off moves the logits) and be followed.
     */
    @ParameterizedTest
    @EnumSource(value = FixtureArch.class, names = {"QWEN3_MOE", "QWEN2_MOE", "MIXTRAL_FUSED"})
    void expertsWithoutTokensAndRenormalization(FixtureArch arch) throws Exception {
        Path dir = FixtureCheckpoints.write(tmp.resolve(arch.name()), arch, DType.F32, 23, 1);
        int[] one = {42};
        float[] before;
        try (ModelRuntime rt = ModelRuntime.open(dir)) {
            before = rt.forward(List.of(one), Intervention.none(), Capture.logits()).logits().getFirst();
            double max = maxDiff(before, PlainReference.logits(dir, one), rt.config().vocabSize());
            assertTrue(max < 1e-4, arch + " single token differs by " + max);
        }
        if (arch != FixtureArch.QWEN3_MOE) return;
        patchConfig(dir, "norm_topk_prob", false);
        try (ModelRuntime rt = ModelRuntime.open(dir)) {
            float[] after = rt.forward(List.of(one), Intervention.none(), Capture.logits()).logits().getFirst();
            assertTrue(GoldenRef.maxAbsDiff(before, after) > 1e-3, "norm_topk_prob must matter on this fixture");
            assertTrue(maxDiff(after, PlainReference.logits(dir, one), rt.config().vocabSize()) < 1e-4);
        }
    }

    /** Top-k dispatch adds each expert's rows in a fixed order: the same bits at 1, 2 and 4 threads. */
    @org.junit.jupiter.api.Test
    void expertDispatchIsDeterministicAcrossThreadCounts() {
        Path dir = FixtureCheckpoints.write(tmp.resolve("q3"), FixtureArch.QWEN3_MOE, DType.F32, 29, 1);
        List<int[]> seqs = List.of(new int[]{5, 17, 90, 3, 44, 61, 12}, new int[]{8, 2, 33});
        float[] first = null;
        for (int threads : new int[]{1, 2, 4}) {
            try (ModelRuntime rt = ModelRuntime.open(dir, RuntimeOptions.defaults().withThreads(threads))) {
                ForwardResult r = rt.forward(seqs, Intervention.none(), Capture.logits());
                float[] all = new float[r.logits().get(0).length + r.logits().get(1).length];
                System.arraycopy(r.logits().get(0), 0, all, 0, r.logits().get(0).length);
                System.arraycopy(r.logits().get(1), 0, all, r.logits().get(0).length, r.logits().get(1).length);
                if (first == null) first = all;
                else assertArrayEquals(first, all, threads + " threads");
            }
        }
    }
}
