package dev.ortho.core.text;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.ortho.formats.InvalidInputException;

import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * {@link TextTokenizer} backed by the HF {@code tokenizers} Rust library through DJL's JNI binding; the DJL
 * jar bundles the native library for Linux x86_64/aarch64, macOS aarch64 and Windows x86_64, so it loads
 * offline. The Rust tokenizer is immutable once built; concurrent use through DJL's JNI handle has not been
 * tested here, so a runtime that tokenizes from several threads should check that first.
 */
final class HfTokenizer implements TextTokenizer {

    private final Path file;
    private final HuggingFaceTokenizer native_;
    private final TokenizerVocab vocab;

    HfTokenizer(Path file, HuggingFaceTokenizer nativeTokenizer, TokenizerVocab vocab) {
        this.file = file;
        this.native_ = nativeTokenizer;
        this.vocab = vocab;
    }

    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        long[] ids = native_.encode(text, addSpecialTokens, false).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = Math.toIntExact(ids[i]);
        return out;
    }

    @Override
    public String decode(int[] ids, boolean skipSpecialTokens) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            // The Rust side silently drops unknown ids; a caller passing one has a bug we should surface.
            if (ids[i] < 0 || ids[i] >= vocab.size())
                throw new InvalidInputException(file, null, "token id " + ids[i] + " is outside the vocabulary (size " + vocab.size() + ")");
            l[i] = ids[i];
        }
        return native_.decode(l, skipSpecialTokens);
    }

    @Override
    public OptionalInt tokenId(String token) { return vocab.id(token); }

    @Override
    public int vocabularySize() { return vocab.size(); }

    @Override
    public void close() { native_.close(); }

    @Override
    public String toString() { return "HfTokenizer[" + file + "]"; }
}
