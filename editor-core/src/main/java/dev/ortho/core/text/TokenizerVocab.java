package dev.ortho.core.text;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ortho.formats.InvalidInputException;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Token-to-id map of a {@code tokenizer.json}: {@code model.vocab} plus {@code added_tokens}. DJL exposes no
 * token_to_id, and reading the map ourselves also lets us refuse a malformed file with a message that names
 * it before the native library sees it.
 */
record TokenizerVocab(Map<String, Integer> ids, int size) {

    static TokenizerVocab of(Path file, JsonNode root) {
        JsonNode model = root.get("model");
        if (model == null || !model.isObject())
            throw new InvalidInputException(file, null, "tokenizer.json has no \"model\" object");
        Map<String, Integer> ids = new HashMap<>();
        int max = -1;
        JsonNode vocab = model.get("vocab");
        if (vocab != null && vocab.isObject()) {
            for (var e : vocab.properties()) {
                max = Math.max(max, put(file, ids, e.getKey(), e.getValue(), "model.vocab"));
            }
        } else if (vocab != null && vocab.isArray()) {
            // Unigram models store [piece, score] pairs; the id is the index.
            for (int i = 0; i < vocab.size(); i++) {
                JsonNode pair = vocab.get(i);
                if (!pair.isArray() || pair.isEmpty() || !pair.get(0).isTextual())
                    throw new InvalidInputException(file, null, "model.vocab[" + i + "] is not a [piece, score] pair");
                ids.putIfAbsent(pair.get(0).asText(), i);
                max = Math.max(max, i);
            }
        } else {
            throw new InvalidInputException(file, null, "tokenizer.json has no model.vocab");
        }
        JsonNode added = root.get("added_tokens");
        if (added != null && !added.isNull()) {
            if (!added.isArray()) throw new InvalidInputException(file, null, "added_tokens is not a list");
            for (JsonNode t : added) {
                JsonNode content = t.get("content");
                if (content == null || !content.isTextual())
                    throw new InvalidInputException(file, null, "an entry of added_tokens has no string \"content\"");
                max = Math.max(max, put(file, ids, content.asText(), t.get("id"), "added_tokens"));
            }
        }
        return new TokenizerVocab(Map.copyOf(ids), max + 1);
    }

    private static int put(Path file, Map<String, Integer> ids, String token, JsonNode id, String where) {
        if (id == null || !id.canConvertToInt() || !id.isIntegralNumber() || id.asInt() < 0)
            throw new InvalidInputException(file, null, where + ": token '" + token + "' has no valid id");
        ids.put(token, id.asInt());
        return id.asInt();
    }

    OptionalInt id(String token) {
        Integer id = ids.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }
}
