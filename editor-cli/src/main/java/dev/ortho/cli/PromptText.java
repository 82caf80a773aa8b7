package dev.ortho.cli;

import dev.ortho.core.text.ChatMessage;
import dev.ortho.core.text.ChatTemplate;
import dev.ortho.core.text.TextTokenizer;
import dev.ortho.core.text.Tokenizers;

import java.nio.file.Path;
import java.util.List;

/**
 * Text prompts to token ids and ids back to text, with a model directory's tokenizer. Without
 * {@code chat} the text is encoded as HF's {@code tokenizer(text)} does by default (the tokenizer's
 * special tokens added, e.g. a BOS prefix); with {@code chat} it is rendered as one user message with
 * the chat template and the generation prompt, then encoded without adding special tokens (the
 * template spells them out), as {@code apply_chat_template(..., add_generation_prompt=True)} does.
 */
final class PromptText implements AutoCloseable {

    private final Path modelDir;
    private final TextTokenizer tokenizer;
    private ChatTemplate template;

    private PromptText(Path modelDir, TextTokenizer tokenizer) {
        this.modelDir = modelDir;
        this.tokenizer = tokenizer;
    }

    /** The tokenizer of {@code modelDir}; an InvalidInputException (exit 2) when it has none. */
    static PromptText load(Path modelDir) {
        return new PromptText(modelDir, Tokenizers.load(modelDir));
    }

    /** The tokenizer of {@code modelDir} when it has a tokenizer.json, else null (ids are then shown bare). */
    static PromptText loadIfPresent(Path modelDir) {
        return java.nio.file.Files.isRegularFile(modelDir.resolve(Tokenizers.FILE)) ? load(modelDir) : null;
    }

    /** The text the model reads: {@code text} itself, or its chat-template rendering. */
    String render(String text, boolean chat) {
        if (!chat) return text;
        if (template == null) template = ChatTemplate.load(modelDir);
        return template.render(List.of(ChatMessage.user(text)), true);
    }

    int[] encode(String text, boolean chat) {
        return tokenizer.encode(render(text, chat), !chat);
    }

    /** Text of generated ids, special tokens (EOS) dropped, as HF's {@code decode(skip_special_tokens=True)}. */
    String decode(int[] ids) {
        return tokenizer.decode(ids, true);
    }

    /**
     * One token's text, special tokens spelled out; empty for an id the tokenizer does not know (model
     * vocabularies are often padded past the tokenizer's, e.g. Qwen2's 151936 rows).
     */
    String token(int id) {
        if (id < 0 || id >= tokenizer.vocabularySize()) return "";
        return tokenizer.decode(new int[]{id}, false);
    }

    /** A token's text quoted for a terminal: control characters escaped. */
    static String quoted(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.append('"').toString();
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
