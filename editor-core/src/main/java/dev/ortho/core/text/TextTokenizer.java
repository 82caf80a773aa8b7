package dev.ortho.core.text;

import java.util.OptionalInt;

/**
 * A model's tokenizer, as HF {@code tokenizers} defines it: text to ids and back, with no truncation and no
 * padding (the paper tokenizes with {@code truncation=False}; padding is the runtime's business).
 */
public interface TextTokenizer extends AutoCloseable {

    /**
     * Token ids of {@code text}. {@code addSpecialTokens} applies the tokenizer's post-processor (for example
     * a BOS prefix); chat prompts are encoded without it because their templates spell out BOS themselves.
     */
    int[] encode(String text, boolean addSpecialTokens);

    /** Text of {@code ids}; {@code skipSpecialTokens} drops tokens marked special (as HF's decode does). */
    String decode(int[] ids, boolean skipSpecialTokens);

    /** Id of a token given in its vocabulary spelling (byte-level BPE writes a space as "Ġ", "\n" as "Ċ"). */
    OptionalInt tokenId(String token);

    /** Number of ids in the vocabulary, added tokens included (one more than the largest id). */
    int vocabularySize();

    @Override
    default void close() {}
}
