package dev.ortho.formats.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/** Configs as transformers writes them load; only what cannot describe a runnable model is refused. */
class ModelConfigTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @ValueSource(strings = {"gemma3", "qwen2_moe", "gpt_oss", "mixtral_fused", "llama_rope3", "qwen2_yarn", "llama_dynamic"})
    void newerGoldenConfigsLoadAndAgreeWithTheirLegacySpelling(String arch) {
        Path g = SharedData.golden().resolve(arch);
        ModelConfig a = ModelConfig.read(g.resolve("config.json"));
        ModelConfig b = ModelConfig.read(g.resolve("config.legacy.json"));
        assertEquals(64, a.hiddenSize());
        assertEquals(a.ropeTheta(), b.ropeTheta(), arch);
        assertEquals(a.slidingWindow(), b.slidingWindow(), arch);
        assertEquals(a.ropeScaling().map(RopeScaling::type), b.ropeScaling().map(RopeScaling::type), arch);
        assertEquals(a.tieWordEmbeddingsRaw(), b.tieWordEmbeddingsRaw(), arch);
    }

    @Test
    void qwen2MoeWritesSlidingWindowZeroWhenNoLayerSlides() {
        ModelConfig c = ModelConfig.read(SharedData.golden().resolve("qwen2_moe/config.json"));
        assertEquals(Optional.empty(), c.slidingWindow());
    }

    @Test
    void gemma3KeysRopeByLayerTypeAndTheRecordCarriesTheGlobalOne() {
        ModelConfig c = ModelConfig.read(SharedData.golden().resolve("gemma3/config.json"));
        assertEquals(1e6, c.ropeTheta());
        assertEquals(Optional.of(4), c.slidingWindow());
    }

    @Test
    void aNegativeWindowIsRefusedNamingTheKey() throws Exception {
        ObjectNode c = minimal();
        c.put("sliding_window", -1);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> ModelConfig.fromJson(c, Path.of("config.json")));
        assertTrue(e.getMessage().contains("sliding_window") && e.getMessage().contains("non-negative"), e.getMessage());
        c.put("sliding_window", 0);
        assertEquals(Optional.empty(), ModelConfig.fromJson(c, Path.of("config.json")).slidingWindow());
        c.put("sliding_window", 2.5);
        assertThrows(InvalidInputException.class, () -> ModelConfig.fromJson(c, Path.of("config.json")));
    }

    @Test
    void aMultimodalWrapperIsReadFromItsTextConfig() throws Exception {
        ObjectNode text = minimal();
        text.put("model_type", "gemma3_text");
        ObjectNode root = JSON.createObjectNode();
        root.put("model_type", "gemma3");
        root.putArray("architectures").add("Gemma3ForConditionalGeneration");
        root.set("text_config", text);
        root.put("tie_word_embeddings", true);
        ModelConfig c = ModelConfig.fromJson(root, Path.of("config.json"));
        assertEquals("gemma3", c.modelType());
        assertEquals(List.of("Gemma3ForConditionalGeneration"), c.architectures());
        assertEquals(64, c.hiddenSize());
        assertEquals(Optional.of(true), c.tieWordEmbeddingsRaw());
        byte[] untied = ModelConfig.withTieWordEmbeddings(JSON.writeValueAsBytes(root), false);
        assertEquals(Optional.of(false), ModelConfig.fromJson(JSON.readTree(untied), Path.of("c")).tieWordEmbeddingsRaw());
        text.put("tie_word_embeddings", true);
        untied = ModelConfig.withTieWordEmbeddings(JSON.writeValueAsBytes(root), false);
        assertEquals(Optional.of(false), ModelConfig.fromJson(JSON.readTree(untied), Path.of("c")).tieWordEmbeddingsRaw(),
                "the text_config's own key is rewritten too");
    }

    private static ObjectNode minimal() throws Exception {
        JsonNode n = JSON.readTree("""
                {"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
                 "vocab_size": 100}""");
        return (ObjectNode) n;
    }
}
