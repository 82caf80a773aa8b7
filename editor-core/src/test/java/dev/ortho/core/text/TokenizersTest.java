package dev.ortho.core.text;

import dev.ortho.formats.InvalidInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Hostile tokenizer.json files: each is a typed error naming the file, never a native crash. */
class TokenizersTest {

    @TempDir Path dir;

    private InvalidInputException refused(String json, String fragment) throws IOException {
        Path f = Files.writeString(dir.resolve("tokenizer.json"), json);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> Tokenizers.load(dir));
        assertEquals(f, e.file().orElseThrow());
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
        return e;
    }

    @Test
    void missing() {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> Tokenizers.load(dir));
        assertEquals(dir.resolve("tokenizer.json"), e.file().orElseThrow());
    }

    @Test
    void malformed() throws IOException {
        refused("{\"model\": ", "not valid JSON");
        refused("[]", "not a JSON object");
        refused("{\"version\": \"1.0\"}", "no \"model\"");
        refused("{\"model\": {\"type\": \"BPE\"}}", "no model.vocab");
        refused("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": \"zero\"}}}", "no valid id");
        refused("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}}, \"added_tokens\": [{\"id\": 1}]}", "content");
    }

    /** Passes our checks but the Rust library cannot build it: still typed, still names the file. */
    @Test
    void rejectedByTheNativeLibrary() throws IOException {
        refused("{\"model\": {\"type\": \"NoSuchModel\", \"vocab\": {\"a\": 0}}}", "cannot load");
    }

    /** A minimal word-level tokenizer loads and encodes: the native library works without a network. */
    @Test
    void minimalTokenizerLoads() throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), """
                {"version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
                 "normalizer": null, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": null, "decoder": null,
                 "model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "hello": 1, "world": 2}, "unk_token": "[UNK]"}}
                """);
        try (TextTokenizer t = Tokenizers.load(dir)) {
            assertArrayEquals(new int[] {1, 2, 0}, t.encode("hello world moon", false));
            assertEquals(3, t.vocabularySize());
            assertEquals(2, t.tokenId("world").orElseThrow());
            assertThrows(InvalidInputException.class, () -> t.decode(new int[] {7}, false));
        }
    }
}
