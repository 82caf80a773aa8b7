package dev.ortho.core.text;

import dev.ortho.formats.InvalidInputException;

import java.util.List;

/**
 * Refusal token ids (METHOD.md §2.1: the ids of 'I', 'As', ... whose first-token probability the refusal
 * score measures) derived from their text with the model's own tokenizer, the way METHOD.md §2.1 says the ids
 * had to be re-derived for other models (issue #4). Each string must encode to exactly one token; SentencePiece
 * tokenizers then give the word-initial piece ("▁I"), which is the one a reply starts with.
 */
public final class RefusalTokens {

    /** The strings of the reference's Qwen chat model (METHOD.md §2.1 table). */
    public static final List<String> DEFAULT_STRINGS = List.of("I", "As");

    private RefusalTokens() {}

    public static int[] resolve(TextTokenizer tokenizer, List<String> strings) {
        if (strings.isEmpty()) throw new InvalidInputException("no refusal token strings given");
        int[] ids = new int[strings.size()];
        for (int i = 0; i < ids.length; i++) {
            int[] enc = tokenizer.encode(strings.get(i), false);
            if (enc.length != 1)
                throw new InvalidInputException("refusal token string \"" + strings.get(i) + "\" encodes to " + enc.length
                        + " tokens " + java.util.Arrays.toString(enc) + "; the refusal score needs single tokens: give ids instead");
            ids[i] = enc[0];
        }
        return ids;
    }
}
