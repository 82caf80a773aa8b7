package dev.ortho.core.runtime;

import dev.ortho.fixtures.FixtureArch;
import dev.ortho.fixtures.FixtureCheckpoints;
import dev.ortho.formats.safetensors.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the runtime cannot run is refused with a typed error (exit 2) naming the reason. */
class UnsupportedInputTest {

    @TempDir
    Path tmp;

    /** Experts in config.json but a spec that describes none, or a spec without a runtime section: refused at open. */
    @Test
    void architecturesTheSpecCannotRunAreRefused() throws Exception {
        Path dir = FixtureCheckpoints.write(tmp.resolve("moe"), FixtureArch.QWEN2_MOE, DType.F32, 1, 1);
        Path spec = tmp.resolve("dense.json");
        String qwen2;
        try (var in = dev.ortho.core.arch.ArchRegistry.class.getResourceAsStream("qwen2.json")) {
            qwen2 = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        Files.writeString(spec, qwen2.replace("\"name\": \"qwen2\"", "\"name\": \"dense_qwen\""));
        RuntimeFailure e = assertThrows(RuntimeFailure.class, () -> {
            try (ModelRuntime rt = ModelRuntime.open(dir, RuntimeOptions.defaults(), dev.ortho.core.arch.ArchChoice.specFile(spec))) {
                rt.forward(List.of(new int[]{1, 2}), Intervention.none(), Capture.logits());
            }
        });
        assertEquals(2, e.exitCode());
        assertTrue(e.getMessage().contains("describes no mixture of experts"), e.getMessage());
        Files.writeString(spec, "{\"name\": \"edit_only\", \"model_types\": [\"qwen2_moe\"], \"rules\": "
                + "[{\"pattern\": \"lm_head\\\\.weight\", \"role\": \"LM_HEAD\"}]}");
        e = assertThrows(RuntimeFailure.class, () -> ModelRuntime.open(dir, RuntimeOptions.defaults(),
                dev.ortho.core.arch.ArchChoice.specFile(spec)).close());
        assertTrue(e.getMessage().contains("has no runtime section"), e.getMessage());
    }

    /** Rewrites one key of config.json (the fixture writes transformers-5 names). */
    private static void patch(Path dir, String key, Object value) throws Exception {
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        var root = (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(dir.resolve("config.json").toFile());
        root.set(key, mapper.valueToTree(value));
        mapper.writeValue(dir.resolve("config.json").toFile(), root);
    }

    /** Refused by {@link ModelRuntime#open}, before any graph is built or run, exit 2, naming the culprit. */
    private static void refusedAtOpen(Path dir, String named) {
        RuntimeFailure e = assertThrows(RuntimeFailure.class, () -> ModelRuntime.open(dir).close());
        assertEquals(2, e.exitCode());
        assertTrue(e.getMessage().contains(named), e.getMessage());
    }

    @Test
    void unknownRopeTypeIsRefusedAtOpen() throws Exception {
        Path dir = FixtureCheckpoints.write(tmp.resolve("llama"), FixtureArch.LLAMA, DType.F32, 1, 1);
        patch(dir, "rope_parameters", java.util.Map.of("rope_type", "su", "factor", 2.0, "rope_theta", 10000.0));
        refusedAtOpen(dir, "rope type 'su'");
        // Legacy spelling, and a longrope whose factor lists do not fit the rotary dimension.
        patch(dir, "rope_parameters", null);
        patch(dir, "rope_scaling", java.util.Map.of("type", "ntk-by-parts", "factor", 2.0));
        refusedAtOpen(dir, "rope type 'ntk-by-parts'");
        patch(dir, "rope_scaling", java.util.Map.of("type", "longrope", "short_factor", List.of(1.0), "long_factor", List.of(1.0),
                "original_max_position_embeddings", 4));
        refusedAtOpen(dir, "short_factor and long_factor of 4 values");
        // The same checkpoint with a known type opens.
        patch(dir, "rope_scaling", java.util.Map.of("type", "dynamic", "factor", 2.0));
        ModelRuntime.open(dir).close();
    }

    @Test
    void unknownLayerTypesAndBidirectionalAttentionAreRefused() throws Exception {
        Path dir = FixtureCheckpoints.write(tmp.resolve("g3"), FixtureArch.GEMMA3, DType.F32, 1, 1);
        String cfg = Files.readString(dir.resolve("config.json"));
        Files.writeString(dir.resolve("config.json"), cfg.replaceFirst("\\{", "{\"layer_types\": [\"full_attention\", \"chunked_attention\"],"));
        RuntimeFailure e = assertThrows(RuntimeFailure.class, () -> ModelRuntime.open(dir).close());
        assertTrue(e.getMessage().contains("layer type 'chunked_attention'"), e.getMessage());
        Files.writeString(dir.resolve("config.json"), cfg.replaceFirst("\\{", "{\"use_bidirectional_attention\": true,"));
        e = assertThrows(RuntimeFailure.class, () -> ModelRuntime.open(dir).close());
        assertTrue(e.getMessage().contains("use_bidirectional_attention"), e.getMessage());
        Files.writeString(dir.resolve("config.json"), cfg);
        ModelRuntime.open(dir).close();
    }

    @Test
    void unknownActivationIsRefusedAtOpen() throws Exception {
        Path dir = FixtureCheckpoints.write(tmp.resolve("llama"), FixtureArch.LLAMA, DType.F32, 1, 1);
        patch(dir, "hidden_act", "swish_pro");
        refusedAtOpen(dir, "activation 'swish_pro'");
    }

    @Test
    void unknownExpertLayoutIsRefusedAtOpen() throws Exception {
        // A config that says mixture of experts over a checkpoint with no router.
        Path dir = FixtureCheckpoints.write(tmp.resolve("llama"), FixtureArch.LLAMA, DType.F32, 1, 1);
        patch(dir, "num_experts", 4);
        // Under its own spec (llama) the experts are refused as a mixture the spec does not describe.
        refusedAtOpen(dir, "describes no mixture of experts");
        // Under a MoE spec (architectures picks it before model_type), the missing router is named.
        patch(dir, "model_type", "qwen3_moe");
        patch(dir, "architectures", List.of("Qwen3MoeForCausalLM"));
        refusedAtOpen(dir, "expert layout is not supported");
        // Experts under names the runtime does not know.
        Path q = FixtureCheckpoints.write(tmp.resolve("q3"), FixtureArch.QWEN3_MOE, DType.F32, 1, 1);
        Path renamed = java.nio.file.Files.createDirectories(tmp.resolve("renamed"));
        java.nio.file.Files.copy(q.resolve("config.json"), renamed.resolve("config.json"));
        renameTensors(q.resolve("model.safetensors"), renamed.resolve("model.safetensors"), ".mlp.experts.", ".mlp.moe_experts.");
        refusedAtOpen(renamed, "no experts found");
    }

    /** Copies a safetensors file with every tensor name's {@code from} replaced by {@code to}. */
    private static void renameTensors(Path in, Path out, String from, String to) {
        try (var f = dev.ortho.formats.safetensors.SafetensorsFile.open(in)) {
            List<dev.ortho.formats.safetensors.TensorLayout> layout = f.tensors().stream()
                    .map(t -> new dev.ortho.formats.safetensors.TensorLayout(t.name().replace(from, to), t.dtype(), t.shape()))
                    .toList();
            try (var w = dev.ortho.formats.safetensors.SafetensorsWriter.create(out, java.util.Map.of("format", "pt"), layout)) {
                for (var t : f.tensors()) w.write(f.data(t));
                w.finish();
            }
        }
    }

    @Test
    void badRequestsAreRefusedBeforeRunning() {
        Path dir = FixtureCheckpoints.write(tmp.resolve("llama"), FixtureArch.LLAMA, DType.F32, 1, 1);
        try (ModelRuntime rt = ModelRuntime.open(dir)) {
            int v = rt.config().vocabSize(), h = rt.config().hiddenSize();
            assertThrows(RuntimeFailure.class, () -> rt.forward(List.of(new int[]{1, v}), Intervention.none(), Capture.logits()));
            assertThrows(RuntimeFailure.class, () -> rt.forward(List.of(new int[0]), Intervention.none(), Capture.logits()));
            assertThrows(RuntimeFailure.class, () -> rt.forward(List.of(new int[]{1}), Intervention.ablate(new float[h - 1]), Capture.logits()));
            assertThrows(RuntimeFailure.class, () -> rt.forward(List.of(new int[]{1}), Intervention.ablate(new float[h]), Capture.logits()));
            assertThrows(RuntimeFailure.class, () -> rt.forward(List.of(new int[]{1}),
                    Intervention.actAdd(new float[h], rt.config().numLayers(), 1.0), Capture.logits()));
            assertThrows(RuntimeFailure.class, () -> rt.generate(List.of(new int[]{1}), -1, Intervention.none()));
            // Still usable after refusals.
            assertEquals(2 * v, rt.forward(List.of(new int[]{1, 2}), Intervention.none(), Capture.logits()).logits().getFirst().length);
        }
    }
}
