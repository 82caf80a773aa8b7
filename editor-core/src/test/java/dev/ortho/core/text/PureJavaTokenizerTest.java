package dev.ortho.core.text;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ortho.fixtures.SharedData;
import dev.ortho.formats.InvalidInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The pure-Java byte-level BPE and the HF Rust library (through DJL) are two independent implementations of
 * one tokenizer.json: they must agree id for id on every organism instruction and completion and on text
 * chosen to stress pre-tokenization (contractions, digits, runs of white space, non-ASCII, special tokens).
 */
class PureJavaTokenizerTest {

    @TempDir Path tmp;

    private static final List<String> TRICKY = List.of(
            "", " ", "  ", "\n", "\n\n\n", " \n ", "\t\tx", "a  b   c    ", "I'm sure you'LL say it's OK, DON'T",
            "12345 67,890.12 3rd", "naïve café — “quotes” … ½", "日本語のテキスト", "emoji 😀👍🏽 mixed", "\u00a0nbsp\u2003em", "x \u2003y", "a \u00a0b", "a\u00a0\u00a0b", "end \u3000", "p \u2028q",
            "e\u0301 combining", "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", "x<|im_end|><|im_end|>y",
            "<|im_start", "line\r\nbreak\rcr", "tabs\tand\u000bvt", "$$$ ### @@@ !!!", "http://example.com/a?b=c&d=e",
            "A".repeat(300), "word ".repeat(200));

    @Test
    void agreesWithTheNativeTokenizerOnTheOrganism() throws IOException {
        Path dir = SharedData.organism();
        List<String> texts = new ArrayList<>(TRICKY);
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir.resolve("data"), "*.json")) {
            for (Path f : files) if (!f.getFileName().toString().startsWith("README")) texts.addAll(InstructionFiles.read(f));
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir.resolve("completions"), "*.json")) {
            for (Path f : files) for (JsonNode c : SharedData.json(f)) texts.add(c.get("response").asText());
        }
        assertTrue(texts.size() > 6000, "texts: " + texts.size());
        ChatTemplate template = ChatTemplate.load(dir);
        try (TextTokenizer nat = Tokenizers.load(dir); TextTokenizer java = Tokenizers.loadPureJava(dir)) {
            assertEquals(nat.vocabularySize(), java.vocabularySize());
            for (String t : texts) {
                int[] expected = nat.encode(t, false);
                assertArrayEquals(expected, java.encode(t, false), t);
                assertEquals(nat.decode(expected, false), java.decode(expected, false), t);
                assertEquals(nat.decode(expected, true), java.decode(expected, true), t);
            }
            // Whole prompts, and the formatter's derived tokens, are the same with either implementation.
            String prompt = template.render(List.of(ChatMessage.user(texts.get(100))), true);
            assertArrayEquals(nat.encode(prompt, false), java.encode(prompt, false));
            assertArrayEquals(new int[] {2, 201, 1, 312, 201}, new PromptFormatter(template, java).postInstructionIds());
            for (String tok : List.of("I", "As", "Ġworld", "<|im_end|>", "Ċ"))
                assertEquals(nat.tokenId(tok), java.tokenId(tok), tok);
            // A cut multi-byte character decodes to U+FFFD in both.
            int[] emoji = nat.encode("😀", false);
            if (emoji.length > 1) {
                int[] cut = Arrays.copyOf(emoji, emoji.length - 1);
                assertEquals(nat.decode(cut, false), java.decode(cut, false));
            }
        }
    }

    @Test
    void systemPropertyForcesThePureJavaImplementation() {
        Path dir = SharedData.organism();
        String before = System.getProperty(Tokenizers.PROPERTY);
        System.setProperty(Tokenizers.PROPERTY, Tokenizers.PURE_JAVA);
        try (TextTokenizer t = Tokenizers.load(dir)) {
            assertInstanceOf(ByteLevelBpe.class, t);
        } finally {
            if (before == null) System.clearProperty(Tokenizers.PROPERTY);
            else System.setProperty(Tokenizers.PROPERTY, before);
        }
        try (TextTokenizer t = Tokenizers.load(dir)) {
            assertInstanceOf(HfTokenizer.class, t);
        }
    }

    @Test
    void unsupportedConfigurationsAreRefused() throws IOException {
        Path f = Files.writeString(tmp.resolve("tokenizer.json"), """
                {"model": {"type": "WordLevel", "vocab": {"a": 0}, "unk_token": "a"}, "pre_tokenizer": {"type": "Whitespace"},
                 "decoder": null, "normalizer": null, "post_processor": null, "added_tokens": []}
                """);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> Tokenizers.loadPureJava(tmp));
        assertEquals(f, e.file().orElseThrow());
        assertTrue(e.getMessage().contains("does not implement"), e.getMessage());
        Files.writeString(f, """
                {"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "normalizer": {"type": "NFKC"},
                 "pre_tokenizer": {"type": "ByteLevel"}, "decoder": {"type": "ByteLevel"}, "added_tokens": []}
                """);
        assertTrue(assertThrows(InvalidInputException.class, () -> Tokenizers.loadPureJava(tmp)).getMessage().contains("normalizer"));
    }
}
