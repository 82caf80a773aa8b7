package dev.ortho.core.pipeline;

import dev.ortho.fixtures.SharedData;
import dev.ortho.core.text.TextTokenizer;
import dev.ortho.core.text.Tokenizers;
import dev.ortho.formats.InvalidInputException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Refusal tokens given as text on a real tokenizer (the organism's byte-level BPE). */
class RefusalTokenChoiceTest {

    @Test
    void multiTokenStringsAreDroppedAndRecorded() {
        try (TextTokenizer tok = Tokenizers.load(SharedData.organism())) {
            RefusalTokenChoice c = RefusalTokenChoice.given(tok, List.of("I", "I'm sorry", "As"));
            assertArrayEquals(new int[]{43, 783}, c.ids());
            assertEquals(List.of("I", "As"), c.tokens());
            assertEquals(1, c.dropped().size());
            assertEquals("I'm sorry", c.dropped().getFirst().text());
            assertTrue(c.dropped().getFirst().encoding().length > 1);
            assertNull(c.derivation());
            assertTrue(c.describe().contains("dropped \"I'm sorry\""), c.describe());
            // Duplicates count once.
            assertArrayEquals(new int[]{43}, RefusalTokenChoice.given(tok, List.of("I", "I")).ids());
        }
    }

    @Test
    void noUsableStringIsAnError() {
        try (TextTokenizer tok = Tokenizers.load(SharedData.organism())) {
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> RefusalTokenChoice.given(tok, List.of("I'm sorry", "As an AI")));
            assertTrue(e.getMessage().contains("none of the refusal token strings"), e.getMessage());
            assertEquals(2, e.exitCode());
        }
        assertEquals(List.of("I", "As"), RefusalTokenChoice.split(" I, ,As "));
        assertTrue(RefusalTokenChoice.isAuto(" AUTO "));
    }
}
