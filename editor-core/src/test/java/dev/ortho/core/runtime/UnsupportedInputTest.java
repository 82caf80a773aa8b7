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

    @Test
    void unsupportedRopeTypeIsRefused() throws Exception {
        Path dir = FixtureCheckpoints.write(tmp.resolve("llama"), FixtureArch.LLAMA, DType.F32, 1, 1);
        String cfg = Files.readString(dir.resolve("config.json")).replace("\"default\"", "\"not_a_rope\"");
        Files.writeString(dir.resolve("config.json"), cfg);
        // Refused when opening, before anything is mapped or run.
        RuntimeFailure e = assertThrows(RuntimeFailure.class, () -> ModelRuntime.open(dir).close());
        assertEquals(2, e.exitCode());
        assertTrue(e.getMessage().contains("rope type 'not_a_rope'"), e.getMessage());
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
