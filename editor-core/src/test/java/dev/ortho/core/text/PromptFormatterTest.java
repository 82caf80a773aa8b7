package dev.ortho.core.text;

import dev.ortho.formats.InvalidInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.*;

/** Post-instruction derivation with a toy character tokenizer whose merges cross the instruction boundary. */
class PromptFormatterTest {

    @TempDir Path dir;

    /** One id per character, except that "?]" and "a]" are single tokens: a template's "]" merges with the instruction. */
    static final class CharTokenizer implements TextTokenizer {
        final Map<String, Integer> ids = new HashMap<>();

        private int id(String s) { return ids.computeIfAbsent(s, k -> ids.size() + 1); }

        @Override
        public int[] encode(String text, boolean addSpecialTokens) {
            java.util.List<Integer> out = new java.util.ArrayList<>();
            for (int i = 0; i < text.length(); i++) {
                if (i + 1 < text.length() && text.charAt(i + 1) == ']' && (text.charAt(i) == '?' || text.charAt(i) == 'a')) {
                    out.add(id(text.substring(i, i + 2)));
                    i++;
                } else out.add(id(text.substring(i, i + 1)));
            }
            return out.stream().mapToInt(Integer::intValue).toArray();
        }

        @Override public String decode(int[] ids, boolean skip) { throw new UnsupportedOperationException(); }
        @Override public OptionalInt tokenId(String token) { return OptionalInt.empty(); }
        @Override public int vocabularySize() { return ids.size() + 1; }
    }

    private ChatTemplate template(String t) throws IOException {
        Files.writeString(dir.resolve("chat_template.jinja"), t);
        return ChatTemplate.load(dir);
    }

    @Test
    void suffixStopsWhereTheInstructionMergesIntoTheTemplate() throws IOException {
        CharTokenizer tok = new CharTokenizer();
        PromptFormatter f = new PromptFormatter(template("[U]{{ messages[0].content }}] A:"), tok);
        assertEquals("] A:", f.postInstructionText());
        // "?]" merges in one sentinel, so only " A:" is common to every rendering.
        assertArrayEquals(tok.encode(" A:", false), f.postInstructionIds());
        assertEquals(3, f.postInstructionLength());
        // The paper's definition tokenizes "] A:" alone: 4 tokens, the first of them not a template token in context.
        assertArrayEquals(tok.encode("] A:", false), f.paperPostInstructionIds());
        assertEquals(4, f.paperPostInstructionIds().length);
        FormattedPrompt p = f.format("Tell me a tea]");
        assertTrue(p.endsWithPostInstruction());
        assertEquals("[U]Tell me a tea]] A:", p.text());
    }

    @Test
    void templateThatDropsTheMessageIsRefused() throws IOException {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> new PromptFormatter(template("<s>{% if add_generation_prompt %}A:{% endif %}"), new CharTokenizer()));
        assertTrue(e.getMessage().contains("verbatim"), e.getMessage());
        assertEquals(dir.resolve("chat_template.jinja"), e.file().orElseThrow());
    }

    @Test
    void suffixThatDependsOnTheInstructionIsRefused() throws IOException {
        assertThrows(InvalidInputException.class,
                () -> new PromptFormatter(template("{{ messages[0].content }}|{{ messages[0].content|length }}"), new CharTokenizer()));
    }

    @Test
    void templateWithNothingAfterTheInstructionIsRefused() throws IOException {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> new PromptFormatter(template("U: {{ messages[0].content }}"), new CharTokenizer()));
        assertTrue(e.getMessage().contains("no template tokens follow"), e.getMessage());
    }

    @Test
    void commonSuffix() {
        assertArrayEquals(new int[] {3, 4}, PromptFormatter.commonSuffix(new int[] {1, 2, 3, 4}, new int[] {9, 3, 4}));
        assertArrayEquals(new int[] {}, PromptFormatter.commonSuffix(new int[] {1}, new int[] {2}));
        assertTrue(PromptFormatter.endsWith(new int[] {1, 2, 3}, new int[] {2, 3}));
        assertFalse(PromptFormatter.endsWith(new int[] {3}, new int[] {2, 3}));
    }
}
