package dev.ortho.core.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ortho.formats.checkpoint.StrictJson;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/**
 * transformers 5 builds the tokenizer of some model types from its own class rather than from the
 * pre-tokenizer written in {@code tokenizer.json}. For the Qwen2 family the class splits with Qwen's
 * expression (every digit its own pre-token, letters with one leading non-letter) after NFC
 * normalization, whatever {@code tokenizer.json} says. A checkpoint whose file carries a plain
 * GPT-2 ByteLevel pre-tokenizer (as a tokenizer trained from scratch does) is therefore tokenized
 * differently by transformers and by the file: digits come out grouped ("00") from the file and
 * split ("0", "0") from transformers. Ortho follows transformers, the reference its users compare
 * against; measured on the refusal organism, the per-prompt refusal scores of prompts with digits
 * agree with the reference within 2.2e-4 this way and are off by up to 0.58 the other way.
 *
 * <p>Published Qwen checkpoints already carry this pre-tokenizer in their file and are unchanged.
 */
final class TransformersTokenizerClass {

    static final Set<String> QWEN2_FAMILY = Set.of("qwen2", "qwen2_moe", "qwen3", "qwen3_moe");

    /** Qwen2Tokenizer's pre-tokenization expression (transformers, models/qwen2). */
    static final String QWEN2_REGEX =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private TransformersTokenizerClass() {}

    /**
     * The tokenizer definition transformers would use for {@code modelDir}, if it differs from
     * {@code root} (the parsed {@code tokenizer.json}); empty when the file is used as written.
     */
    static Optional<JsonNode> override(Path modelDir, JsonNode root) {
        String modelType = modelType(modelDir);
        if (modelType == null || !QWEN2_FAMILY.contains(modelType)) return Optional.empty();
        JsonNode pt = root.path("pre_tokenizer");
        boolean gpt2ByteLevel = "ByteLevel".equals(pt.path("type").asText()) && pt.path("use_regex").asBoolean(true);
        if (!gpt2ByteLevel) return Optional.empty();
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode copy = root.deepCopy();
        copy.set("normalizer", f.objectNode().put("type", "NFC"));
        ObjectNode split = f.objectNode().put("type", "Split");
        split.set("pattern", f.objectNode().put("Regex", QWEN2_REGEX));
        split.put("behavior", "Isolated").put("invert", false);
        ObjectNode byteLevel = f.objectNode().put("type", "ByteLevel").put("add_prefix_space", false)
                .put("trim_offsets", false).put("use_regex", false);
        ArrayNode seq = f.arrayNode().add(split).add(byteLevel);
        ObjectNode sequence = f.objectNode().put("type", "Sequence");
        sequence.set("pretokenizers", seq);
        copy.set("pre_tokenizer", sequence);
        return Optional.of(copy);
    }

    private static String modelType(Path modelDir) {
        Path config = modelDir.resolve("config.json");
        if (!Files.isRegularFile(config)) return null;
        JsonNode type = StrictJson.read(config, "config.json").path("model_type");
        return type.isTextual() ? type.asText() : null;
    }
}
