package dev.ortho.core.edit.quant;

import dev.ortho.core.arch.WriterHeuristics;
import dev.ortho.core.edit.AblationRequest;
import dev.ortho.core.edit.CheckpointEditor;
import dev.ortho.core.edit.EditOptions;
import dev.ortho.core.edit.Inspection;
import dev.ortho.core.edit.ProgressListener;
import dev.ortho.fixtures.FixtureArch;
import dev.ortho.fixtures.FixtureCheckpoints;
import dev.ortho.fixtures.QuantizedFixtures;
import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.safetensors.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** Every quantized or adapter format Ortho cannot edit exactly is refused with exit 2, before anything is written. */
class QuantizedCheckpointTest {

    static Stream<Arguments> refused() {
        return Stream.of(
                Arguments.of("gptq", (BiFunction<Path, Long, Path>) QuantizedFixtures::gptqLlama, "GPTQ",
                        "model.layers.1.self_attn.o_proj", "dequantize"),
                Arguments.of("awq", (BiFunction<Path, Long, Path>) QuantizedFixtures::awqLlama, "AWQ",
                        "model.layers.1.self_attn.o_proj", "dequantize"),
                Arguments.of("bnb", (BiFunction<Path, Long, Path>) QuantizedFixtures::bnb4bitLlama, "bitsandbytes",
                        "model.layers.0.mlp.down_proj.weight.absmax", "unquantized base model"),
                Arguments.of("fp8-channel", (BiFunction<Path, Long, Path>) QuantizedFixtures::fp8PerChannelLlama,
                        "compressed-tensors", "model.layers.0.mlp.down_proj.weight_scale", "dequantize"),
                Arguments.of("lora-unmerged", (BiFunction<Path, Long, Path>) QuantizedFixtures::unmergedLoraLlama, "LoRA",
                        "model.layers.0.mlp.down_proj.lora_A.weight", "merge the adapter"),
                Arguments.of("lora-adapter", (BiFunction<Path, Long, Path>) QuantizedFixtures::loraAdapter, "LoRA",
                        "base_model.model.model.layers.0.mlp.down_proj.lora_A.weight", "merge the adapter"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refused")
    void refusedWithExit2NamingFormatTensorsAndRemedy(String label, BiFunction<Path, Long, Path> fixture, String format,
                                                      String tensor, String remedy, @TempDir Path tmp) throws Exception {
        Path model = fixture.apply(tmp.resolve("in"), 5L);
        Path direction = direction(tmp);
        Path out = tmp.resolve("out");
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> CheckpointEditor.ablate(
                new AblationRequest(model, direction.toString(), out, false, EditOptions.defaults().withThreads(1),
                        Optional.empty(), Optional.empty(), List.of("test")), ProgressListener.NONE));
        assertEquals(2, e.exitCode());
        assertTrue(e.getMessage().contains(format), e.getMessage());
        assertTrue(e.getMessage().contains(tensor), e.getMessage());
        assertTrue(e.getMessage().contains(remedy), e.getMessage());
        assertFalse(Files.exists(out), "nothing may be written");
        try (var files = Files.list(tmp)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().contains("ortho-tmp")), "no temporary output either");
        }
    }

    @Test
    void inspectShowsWhatItFound(@TempDir Path tmp) {
        Inspection gptq = Inspection.of(QuantizedFixtures.gptqLlama(tmp.resolve("gptq"), 1), Optional.empty(), Optional.empty());
        assertTrue(gptq.quantization().stream().anyMatch(q -> q.contains("GPTQ") && q.contains("quant_method = \"gptq\"")), gptq.quantization().toString());
        assertTrue(gptq.quantization().stream().anyMatch(q -> q.contains(".qweight")), gptq.quantization().toString());
        assertTrue(gptq.warnings().stream().anyMatch(w -> w.contains("refuses")), gptq.warnings().toString());

        Inspection fp8 = Inspection.of(QuantizedFixtures.fp8BlockLlama(tmp.resolve("fp8"), 1, 16, 16, null), Optional.empty(), Optional.empty());
        assertTrue(fp8.quantization().stream().anyMatch(q -> q.contains("block-scaled FP8") && q.contains("16x16")), fp8.quantization().toString());
        assertTrue(fp8.writers().stream().anyMatch(w -> w.name().equals("model.layers.1.self_attn.o_proj.weight") && w.dtype().equals("F8_E4M3")));
        assertTrue(fp8.warnings().stream().noneMatch(w -> w.contains("looks like a residual-stream writer")), fp8.warnings().toString());

        Inspection plain = Inspection.of(FixtureCheckpoints.write(tmp.resolve("plain"), FixtureArch.LLAMA, DType.BF16, 1, 1),
                Optional.empty(), Optional.empty());
        assertTrue(plain.quantization().isEmpty());
    }

    @Test
    void dequantizeEditedNeedsAnFp8Checkpoint(@TempDir Path tmp) throws Exception {
        Path model = FixtureCheckpoints.write(tmp.resolve("in"), FixtureArch.LLAMA, DType.BF16, 1, 1);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> CheckpointEditor.ablate(
                new AblationRequest(model, direction(tmp).toString(), tmp.resolve("out"), false,
                        EditOptions.defaults().withThreads(1).withDequantizeEdited(true), Optional.empty(), Optional.empty(),
                        List.of("test")), ProgressListener.NONE));
        assertTrue(e.getMessage().contains("--dequantize-edited"), e.getMessage());
    }

    @Test
    void writerHeuristicCoversEverySuffix() {
        for (String n : List.of("model.layers.3.self_attn.o_proj.qweight", "model.layers.3.mlp.down_proj.scales",
                "model.layers.3.self_attn.o_proj.lora_B.weight", "model.layers.3.self_attn.o_proj.weight_scale_inv",
                "model.layers.3.mlp.down_proj.weight.absmax", "model.layers.3.mlp.experts.down_proj_blocks",
                "transformer.h.0.attn.c_proj.weight", "model.embed_tokens.weight", "layers.0.feed_forward.w2.weight",
                "model.layers.0.self_attn.o_proj.bias", "model.layers.0.self_attn.o_proj")) {
            assertTrue(WriterHeuristics.looksLikeWriter(n), n);
        }
        for (String n : List.of("model.layers.3.self_attn.q_proj.qweight", "model.layers.3.mlp.up_proj.weight",
                "model.norm.weight", "lm_head.weight", "model.layers.0.self_attn.two.weight", "model.layers.0.mlp.gate_up_proj")) {
            assertFalse(WriterHeuristics.looksLikeWriter(n), n);
        }
    }

    static Path direction(Path tmp) throws Exception {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(9);
        double[] r = rnd.doubles(FixtureArch.HIDDEN, -1, 1).toArray();
        Path p = tmp.resolve("direction.json");
        Files.writeString(p, java.util.Arrays.toString(r));
        return p;
    }
}
