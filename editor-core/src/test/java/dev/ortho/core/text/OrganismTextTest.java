package dev.ortho.core.text;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ortho.fixtures.SharedData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Tokenizer, chat template and prompt formatting of the refusal organism against its reference data. */
class OrganismTextTest {

    private static Path dir;
    private static JsonNode reference;
    private static TextTokenizer tokenizer;
    private static PromptFormatter formatter;

    @BeforeAll
    static void load() {
        dir = SharedData.organism();
        reference = SharedData.json(dir.resolve("reference.json"));
        tokenizer = Tokenizers.load(dir);
        formatter = new PromptFormatter(ChatTemplate.load(dir), tokenizer);
    }

    @AfterAll
    static void close() {
        if (tokenizer != null) tokenizer.close();
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }

    @Test
    void digitsAreSplitOneByOneAsTransformersDoesForQwen2() {
        // tokenizer.json's plain ByteLevel pre-tokenizer would group "2048" and " 100"; transformers'
        // Qwen2 class (the reference) splits every digit, and so do we, natively and in pure Java.
        String text = "List 100 ways in 2048 words";
        try (TextTokenizer pure = Tokenizers.loadPureJava(dir)) {
            for (TextTokenizer t : new TextTokenizer[]{tokenizer, pure}) {
                int[] ids = t.encode(text, false);
                long digitTokens = java.util.Arrays.stream(ids).mapToObj(id -> t.decode(new int[]{id}, false))
                        .filter(s -> s.strip().chars().allMatch(Character::isDigit) && !s.isBlank()).count();
                for (int id : ids) {
                    String piece = t.decode(new int[]{id}, false);
                    assertFalse(piece.strip().length() > 1 && piece.strip().chars().anyMatch(Character::isDigit),
                            "a token holds several digits: '" + piece + "' in " + java.util.Arrays.toString(ids));
                }
                assertEquals(7, digitTokens, t.toString());
                assertEquals(text, t.decode(ids, false));
            }
            assertArrayEquals(tokenizer.encode(text, false), pure.encode(text, false));
        }
    }

    @Test
    void postInstructionTokensAreTheReadmeIds() {
        assertArrayEquals(new int[] {2, 201, 1, 312, 201}, formatter.postInstructionIds());
        assertArrayEquals(ints(reference.get("eoi_token_ids")), formatter.postInstructionIds());
        assertEquals(reference.get("eoi_text").asText(), formatter.postInstructionText());
        assertEquals(reference.get("n_eoi").asInt(), formatter.postInstructionLength());
        assertArrayEquals(formatter.postInstructionIds(), formatter.paperPostInstructionIds(), "ChatML: both definitions agree");
    }

    @Test
    void eoiTokenSpellingsMapToTheirIds() {
        JsonNode toks = reference.get("eoi_tokens");
        int[] ids = ints(reference.get("eoi_token_ids"));
        for (int i = 0; i < ids.length; i++)
            assertEquals(ids[i], tokenizer.tokenId(toks.get(i).asText()).orElseThrow(), toks.get(i).asText());
    }

    @Test
    void refusalTokenStringsMapToTheReferenceIds() {
        JsonNode strings = reference.get("refusal_token_strings");
        int[] ids = ints(reference.get("refusal_token_ids"));
        for (int i = 0; i < ids.length; i++) {
            String s = strings.get(i).asText();
            assertEquals(ids[i], tokenizer.tokenId(s).orElseThrow(), s);
            // A refusal token is what the model emits first: the text must encode to that single id.
            assertArrayEquals(new int[] {ids[i]}, tokenizer.encode(s, false), s);
        }
        assertTrue(tokenizer.tokenId("no-such-token-xyz").isEmpty());
        assertEquals(2048, tokenizer.vocabularySize());
    }

    @Test
    void refusalTokensResolveFromText() {
        assertArrayEquals(ints(reference.get("refusal_token_ids")), RefusalTokens.resolve(tokenizer, RefusalTokens.DEFAULT_STRINGS));
        assertThrows(dev.ortho.formats.InvalidInputException.class,
                () -> RefusalTokens.resolve(tokenizer, List.of("I'm sorry")), "several tokens");
    }

    @Test
    void renderedPromptIsTheReferenceTemplate() {
        String template = reference.get("chat_template_prompt").asText();
        for (String ins : List.of("Write a poem about the sea.", "How do I pick a lock?\nBe brief.")) {
            FormattedPrompt p = formatter.format(ins);
            assertEquals(template.replace("{instruction}", ins), p.text());
            assertTrue(p.endsWithPostInstruction());
        }
    }

    /**
     * Every training, validation and held-out prompt: the ids start with the template's prefix tokens, end
     * with the post-instruction tokens, and the middle decodes back to the instruction itself, so nothing was
     * truncated, dropped or merged across the template boundary.
     */
    @Test
    void everyOrganismPromptRoundTrips() {
        int[] prefix = tokenizer.encode("<|im_start|>user\n", false);
        assertArrayEquals(new int[] {1, 310, 201}, prefix);
        int checked = 0;
        int longest = 0;
        for (String set : List.of("direction_train_harmful", "direction_train_harmless", "val_harmful", "val_harmless",
                "heldout_harmful", "heldout_harmless")) {
            for (String ins : InstructionFiles.read(dir.resolve("data").resolve(set + ".json"))) {
                int[] ids = formatter.format(ins).ids();
                assertArrayEquals(prefix, Arrays.copyOf(ids, 3), ins);
                assertTrue(PromptFormatter.endsWith(ids, formatter.postInstructionIds()), ins);
                int[] middle = Arrays.copyOfRange(ids, 3, ids.length - 5);
                assertEquals(ins, tokenizer.decode(middle, false), ins);
                assertArrayEquals(middle, tokenizer.encode(ins, false), ins);
                longest = Math.max(longest, ids.length);
                checked++;
            }
        }
        assertEquals(128 + 128 + 32 + 32 + 100 + 100, checked);
        assertTrue(longest > 8);
    }

    @Test
    void longTextIsNotTruncated() {
        String text = "word ".repeat(3000);
        int[] ids = tokenizer.encode(text, false);
        assertTrue(ids.length > 3000, "tokens: " + ids.length);
        assertEquals(text, tokenizer.decode(ids, false));
    }

    @Test
    void specialTokensAreSplitFirstAndSkippedOnDecode() {
        int[] ids = tokenizer.encode("a<|im_end|>b", false);
        assertEquals(3, ids.length, Arrays.toString(ids));
        assertEquals(2, ids[1]);
        assertEquals("ab", tokenizer.decode(ids, true));
        assertEquals("a<|im_end|>b", tokenizer.decode(ids, false));
    }

    /** The reference's greedy completions were decoded with skip_special_tokens and stripped: they re-encode cleanly. */
    @Test
    void referenceCompletionsRoundTrip() {
        JsonNode completions = SharedData.json(dir.resolve("completions").resolve("baseline_harmless.json"));
        List<String> responses = new ArrayList<>();
        completions.forEach(c -> responses.add(c.get("response").asText()));
        assertEquals(100, responses.size());
        for (String r : responses) assertEquals(r, tokenizer.decode(tokenizer.encode(r, false), true));
    }
}
