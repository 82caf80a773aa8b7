package dev.ortho.core.arch;

import dev.ortho.core.edit.AblationRequest;
import dev.ortho.core.edit.CheckpointEditor;
import dev.ortho.core.edit.EditOptions;
import dev.ortho.core.edit.ProgressListener;
import dev.ortho.core.edit.ProjectionLayout;
import dev.ortho.core.provenance.EditedTensor;
import dev.ortho.fixtures.FixtureArch;
import dev.ortho.fixtures.FixtureCheckpoints;
import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.safetensors.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

class ArchRegistryTest {

    @Test
    void builtinsCoverTheRequiredArchitectures() {
        ArchRegistry r = ArchRegistry.builtin();
        assertTrue(r.names().containsAll(List.of("llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "gemma3", "phi3",
                "gpt2", "gpt_neox", "mixtral", "qwen2_moe", "qwen3_moe")), r.names().toString());
        assertEquals("gemma3", r.detect("gemma3_text", List.of(), null).name());
        assertEquals("qwen2_moe", r.detect("whatever", List.of("Qwen2MoeForCausalLM"), null).name());
    }

    @Test
    void classifiesRolesLayersAndLayouts() {
        ArchSpec gpt2 = ArchRegistry.builtin().require("gpt2");
        assertEquals(new TensorRole(Role.ATTN_OUT, 11, WriterLayout.IN_OUT, gpt2.classify("h.11.attn.c_proj.weight").rule()),
                gpt2.classify("h.11.attn.c_proj.weight"), "the transformer. prefix is optional");
        assertEquals(Role.OTHER, gpt2.classify("transformer.h.0.attn.c_attn.weight").role());
        ArchSpec mix = ArchRegistry.builtin().require("mixtral");
        assertEquals(Role.EXPERT_OUT, mix.classify("model.layers.3.block_sparse_moe.experts.7.w2.weight").role());
        assertEquals(3, mix.classify("model.layers.3.block_sparse_moe.experts.7.w2.weight").layer());
        assertEquals(Role.OTHER, mix.classify("model.layers.3.block_sparse_moe.experts.7.w1.weight").role());
        assertEquals(Role.OTHER, mix.classify("model.layers.99999999999.self_attn.o_proj.weight").role(), "absurd layer numbers never parse");
    }

    @Test
    void unknownArchitectureListsTheSupportedOnes() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> ArchRegistry.builtin().detect("mamba", List.of("MambaForCausalLM"), Path.of("config.json")));
        assertTrue(e.getMessage().contains("supported: llama, mistral"), e.getMessage());
        assertTrue(e.getMessage().contains("--arch-spec"), e.getMessage());
    }

    @Test
    void userSpecAddsAnArchitectureWithoutARebuild(@TempDir Path tmp) throws Exception {
        // A Llama-shaped model under an unknown model_type, described by a user spec that edits only o_proj.
        Path model = FixtureCheckpoints.write(tmp.resolve("m"), FixtureArch.LLAMA, DType.F32, 2, 1);
        Path cfg = model.resolve("config.json");
        Files.writeString(cfg, Files.readString(cfg).replace("\"llama\"", "\"my_llama\"").replace("LlamaForCausalLM", "MyLlamaForCausalLM"));
        Path spec = tmp.resolve("my_llama.json");
        Files.writeString(spec, """
                {"name": "my_llama", "model_types": ["my_llama"], "architectures": ["MyLlamaForCausalLM"],
                 "rules": [
                   {"pattern": "model\\\\.layers\\\\.(?<layer>\\\\d+)\\\\.self_attn\\\\.o_proj\\\\.weight", "role": "ATTN_OUT", "layout": "out_in"},
                   {"pattern": "lm_head\\\\.weight", "role": "LM_HEAD"}
                 ]}
                """);
        Path dir = tmp.resolve("d.json");
        Files.writeString(dir, "[" + "0.25,".repeat(FixtureArch.HIDDEN - 1) + "0.25]");
        assertThrows(InvalidInputException.class, () -> ablate(model, dir, tmp.resolve("o1"), Optional.empty()));
        CheckpointEditor.Result r = ablate(model, dir, tmp.resolve("o2"), Optional.of(spec));
        assertEquals(Set.of("model.layers.0.self_attn.o_proj.weight", "model.layers.1.self_attn.o_proj.weight"),
                r.manifest().edits().stream().map(EditedTensor::name).collect(Collectors.toSet()));
        // The spec leaves down_proj and the embedding out: they are reported, not silently skipped.
        assertTrue(r.manifest().warnings().stream().anyMatch(w -> w.contains("model.layers.0.mlp.down_proj.weight")
                && w.contains("looks like a residual-stream writer")), r.manifest().warnings().toString());
        assertTrue(r.manifest().warnings().stream().anyMatch(w -> w.contains("model.embed_tokens.weight")));
    }

    @Test
    void badUserSpecsAreRefusedWithTheField(@TempDir Path tmp) throws Exception {
        Path spec = tmp.resolve("bad.json");
        Files.writeString(spec, "{\"name\": \"x\", \"rules\": [{\"pattern\": \"(\", \"role\": \"ATTN_OUT\", \"layout\": \"out_in\"}]}");
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> ArchRegistry.readSpec(spec));
        assertTrue(e.getMessage().contains("rules[0]") && e.getMessage().contains("regular expression"), e.getMessage());
        Files.writeString(spec, "{\"name\": \"x\", \"rules\": [{\"pattern\": \"a\", \"role\": \"ATTN_OUT\"}]}");
        e = assertThrows(InvalidInputException.class, () -> ArchRegistry.readSpec(spec));
        assertTrue(e.getMessage().contains("needs 'layout'"), e.getMessage());
        Files.writeString(spec, "{\"name\": \"x\", \"rules\": [{\"pattern\": \"a\", \"role\": \"WRITER\", \"layout\": \"rows\"}]}");
        e = assertThrows(InvalidInputException.class, () -> ArchRegistry.readSpec(spec));
        assertTrue(e.getMessage().contains("unknown role 'WRITER'"), e.getMessage());
    }

    @Test
    void fusedExpertOrientationIsDeclaredNotGuessedWhenShapesCannotTell() {
        // [E, 64, 64]: intermediate == hidden (gpt-oss), so only the declaration can say which axis is hidden.
        long[] square = {4, 64, 64};
        assertEquals(Optional.empty(), ProjectionLayout.of(WriterLayout.EXPERTS, square, 64), "ambiguous: refused, not guessed");
        assertEquals(Optional.of(ProjectionLayout.ROWS), ProjectionLayout.of(WriterLayout.EXPERTS_IN_OUT, square, 64));
        assertEquals(Optional.of(ProjectionLayout.COLUMNS), ProjectionLayout.of(WriterLayout.EXPERTS_OUT_IN, square, 64));
        assertEquals(Optional.of(ProjectionLayout.COLUMNS), ProjectionLayout.of(WriterLayout.EXPERTS, new long[]{4, 64, 32}, 64));
        assertEquals(Optional.of(ProjectionLayout.ROWS), ProjectionLayout.of(WriterLayout.EXPERTS, new long[]{4, 32, 64}, 64));
        assertEquals(Optional.empty(), ProjectionLayout.of(WriterLayout.EXPERTS_IN_OUT, new long[]{4, 64, 32}, 64));
        assertEquals(Optional.empty(), ProjectionLayout.of(WriterLayout.EXPERTS_OUT_IN, new long[]{64, 32}, 64));
        ArchSpec oss = ArchRegistry.builtin().require("gpt_oss");
        assertEquals(WriterLayout.EXPERTS_IN_OUT, oss.classify("model.layers.2.mlp.experts.down_proj").layout());
        assertEquals(Role.WRITER_BIAS, oss.classify("model.layers.2.mlp.experts.down_proj_bias").role());
        for (String reader : List.of("model.layers.0.mlp.router.weight", "model.layers.0.mlp.router.bias",
                "model.layers.0.self_attn.sinks", "model.layers.0.mlp.experts.gate_up_proj", "model.layers.0.mlp.experts.gate_up_proj_bias")) {
            assertEquals(Role.OTHER, oss.classify(reader).role(), reader);
        }
    }

    @Test
    void aSpecThatLeavesTheGptOssOrientationToTheShapeIsRefused(@TempDir Path tmp) throws Exception {
        Path g = dev.ortho.core.golden.Golden.dir().resolve("gpt_oss");
        Path spec = tmp.resolve("oss.json");
        Files.writeString(spec, """
                {"name": "gpt_oss", "model_types": ["gpt_oss"], "architectures": ["GptOssForCausalLM"],
                 "rules": [{"pattern": "model\\\\.layers\\\\.(?<layer>\\\\d+)\\\\.mlp\\\\.experts\\\\.down_proj", "role": "EXPERT_OUT", "layout": "experts"}]}
                """);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> ablate(g,
                Path.of(g.resolve("reference.safetensors") + ":direction"), tmp.resolve("o"), Optional.of(spec)));
        assertTrue(e.getMessage().contains("model.layers.0.mlp.experts.down_proj") && e.getMessage().contains("experts_in_out"),
                e.getMessage());
        assertFalse(Files.exists(tmp.resolve("o")), "nothing is written");
    }

    @Test
    void everyBuiltinDescribesItsRuntimeAndNamesNoUnknownLayerTensor() {
        ArchRegistry r = ArchRegistry.builtin();
        for (String name : r.names()) {
            RuntimeSpec rs = r.require(name).runtime().orElseThrow(() -> new AssertionError(name + " has no runtime section"));
            assertTrue(RuntimeSpec.LAYER_KEYS.containsAll(rs.layerTensors().keySet()), name);
            assertTrue(rs.layerTensors().containsKey("o") && rs.layerTensors().containsKey("attn_norm"), name);
        }
        assertEquals(RuntimeSpec.Sliding.PATTERN, r.require("gemma3").runtime().orElseThrow().sliding());
        assertEquals("model.language_model.layers.0.self_attn.q_norm",
                r.require("gemma3").runtime().orElseThrow().underTower("model.language_model.").layerTensor(0, "q_norm"));
        assertFalse(r.require("qwen2").runtime().orElseThrow().tieWordEmbeddings(), "transformers 5's Qwen2Config default");
        assertTrue(r.require("gemma").runtime().orElseThrow().tieWordEmbeddings());
    }

    @Test
    void badRuntimeSectionsAreRefusedWithTheField(@TempDir Path tmp) throws Exception {
        String head = "{\"name\": \"x\", \"rules\": [{\"pattern\": \"a\", \"role\": \"LM_HEAD\"}], \"runtime\": ";
        String good = "{\"block\": \"decoder\", \"norm\": \"rms\", \"embedding\": \"e\", \"head\": \"h\", \"final_norm\": \"n\","
                + " \"layers\": \"l.\", \"layer_tensors\": {\"o\": \"o\", \"attn_norm\": \"n1\", \"mlp_norm\": \"n2\", \"qkv\": \"qkv\","
                + " \"gate_up\": \"gu\", \"down\": \"d\"}, \"activation\": {\"keys\": [], \"default\": \"silu\"}";
        Path spec = tmp.resolve("s.json");
        Files.writeString(spec, head + good + "}}");
        assertTrue(ArchRegistry.readSpec(spec).runtime().isPresent());
        String[][] cases = {
                {good.replace("decoder", "mamba"), "runtime.block: unknown value 'mamba'"},
                {good.replace("\"o\": \"o\"", "\"out\": \"o\""), "runtime.layer_tensors: unknown key 'out'"},
                {good + ", \"norm_placement\": \"sandwich\"", "needs layer_tensors post_attn_norm"},
                {good + ", \"moe\": {\"routing\": \"sinkhorn\", \"experts\": \"per_expert_swiglu\"}", "runtime.moe.routing"},
                {good + ", \"sliding\": \"all\"", "runtime: unknown key 'sliding'"},
                {good + ", \"rope\": {\"aliases\": {}}", "runtime.rope: unknown key 'aliases'"},
                {good + ", \"rope\": {\"type_aliases\": {\"su\": 1}}", "runtime.rope.type_aliases.su must be a string"},
                {good + ", \"rope\": {\"original_max_position_embeddings\": 0}", "original_max_position_embeddings must be a positive"},
                {good.replace(", \"head\": \"h\"", ""), "runtime.head must be a string"},
                {good.replace(" \"down\": \"d\"", " \"up\": \"d\""), "block needs down"},
                {good.replace("decoder", "gpt2").replace("gate_up", "up"), "needs 'position_embedding'"}};
        for (String[] c : cases) {
            Files.writeString(spec, head + c[0] + "}}");
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> ArchRegistry.readSpec(spec), c[1]);
            assertTrue(e.getMessage().contains(c[1]) && e.getMessage().contains(spec.toString()), e.getMessage());
        }
    }

    private static CheckpointEditor.Result ablate(Path model, Path dir, Path out, Optional<Path> spec) {
        return CheckpointEditor.ablate(new AblationRequest(model, dir.toString(), out, false, EditOptions.defaults().withThreads(1),
                Optional.empty(), spec, List.of()), ProgressListener.NONE);
    }
}
