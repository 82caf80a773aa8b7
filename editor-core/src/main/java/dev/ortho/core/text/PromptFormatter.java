package dev.ortho.core.text;

import dev.ortho.formats.InvalidInputException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.List;

/**
 * Formats instructions as single-turn chat prompts (no system prompt, generation prompt appended) and knows
 * the post-instruction ("eoi") tokens, whose positions −n..−1 are where the paper reads activations
 * (METHOD.md §1 "Positions", §6).
 *
 * <p>The paper takes the eoi tokens to be the tokenization of the template text after {@code {instruction}},
 * tokenized on its own. Tokenized alone, that text can differ from what it becomes inside a prompt (METHOD.md
 * §1, the Llama-2 caveat). Here they are derived from whole prompts instead: the template is rendered with
 * several sentinel instructions that end in different kinds of character, each rendering is tokenized, and the
 * post-instruction tokens are the longest token suffix common to all of them. That suffix is exactly the
 * template's tokens that do not depend on the instruction. For ChatML (Qwen) and Llama-3 both definitions
 * agree.
 */
public final class PromptFormatter {

    private static final Logger LOG = LoggerFactory.getLogger(PromptFormatter.class);

    /** Sentinels ending in a letter, a digit, punctuation and a non-ASCII letter, so no two end alike. */
    private static final List<String> SENTINELS = List.of(
            "Describe the sentinel zebra", "Count to 42", "Is this a question?", "Translate été");

    private final ChatTemplate template;
    private final TextTokenizer tokenizer;
    private final int[] postInstructionIds;
    private final String postInstructionText;
    private final int[] paperIds;

    public PromptFormatter(ChatTemplate template, TextTokenizer tokenizer) {
        this.template = template;
        this.tokenizer = tokenizer;
        int[] common = null;
        String suffixText = null;
        for (String s : SENTINELS) {
            String rendered = render(s);
            int at = rendered.lastIndexOf(s);
            if (at < 0)
                throw new InvalidInputException(template.source(), null,
                        "chat template does not copy the user's message into the prompt verbatim");
            String after = rendered.substring(at + s.length());
            if (suffixText != null && !suffixText.equals(after))
                throw new InvalidInputException(template.source(), null,
                        "the chat template's text after the instruction depends on the instruction");
            suffixText = after;
            int[] ids = tokenizer.encode(rendered, false);
            common = common == null ? ids : commonSuffix(common, ids);
        }
        if (common.length == 0)
            throw new InvalidInputException(template.source(), null,
                    "no template tokens follow the instruction: the post-instruction positions are undefined");
        this.postInstructionIds = common;
        this.postInstructionText = suffixText;
        this.paperIds = tokenizer.encode(suffixText, false);
        LOG.debug("post-instruction tokens {} for text {}", Arrays.toString(common), quote(suffixText));
        if (!Arrays.equals(common, paperIds))
            LOG.info("post-instruction text {} tokenizes alone to {} but inside prompts to {}; positions follow the latter",
                    quote(suffixText), Arrays.toString(paperIds), Arrays.toString(common));
    }

    /** The prompt of one user instruction, as the paper runs it: no system prompt, generation prompt on. */
    public FormattedPrompt format(String instruction) {
        String text = render(instruction);
        int[] ids = tokenizer.encode(text, false);
        boolean ends = endsWith(ids, postInstructionIds);
        if (!ends) LOG.warn("prompt of instruction {} does not end with the post-instruction tokens", quote(abbreviate(instruction)));
        return new FormattedPrompt(text, ids, ends);
    }

    public List<FormattedPrompt> formatAll(List<String> instructions) {
        return instructions.stream().map(this::format).toList();
    }

    /** Post-instruction token ids; position −k of a prompt is {@code postInstructionIds()[n − k]}. */
    public int[] postInstructionIds() { return postInstructionIds.clone(); }

    /** n_eoi: the number of post-instruction positions, the candidate positions −n..−1. */
    public int postInstructionLength() { return postInstructionIds.length; }

    /**
     * The paper's eoi tokens: the post-instruction text tokenized on its own (METHOD.md §6). Equal to
     * {@link #postInstructionIds()} for ChatML and Llama-3; for Llama-2 one longer (the §1 caveat). A runtime
     * that must reproduce the paper's positions exactly uses this length for n_eoi.
     */
    public int[] paperPostInstructionIds() { return paperIds.clone(); }

    /** The template text after the instruction (for Qwen: {@code "<|im_end|>\n<|im_start|>assistant\n"}). */
    public String postInstructionText() { return postInstructionText; }

    public TextTokenizer tokenizer() { return tokenizer; }

    private String render(String instruction) {
        return template.render(List.of(ChatMessage.user(instruction)), true);
    }

    static int[] commonSuffix(int[] a, int[] b) {
        int n = 0;
        while (n < a.length && n < b.length && a[a.length - 1 - n] == b[b.length - 1 - n]) n++;
        return Arrays.copyOfRange(a, a.length - n, a.length);
    }

    static boolean endsWith(int[] ids, int[] suffix) {
        if (suffix.length > ids.length) return false;
        return Arrays.equals(ids, ids.length - suffix.length, ids.length, suffix, 0, suffix.length);
    }

    private static String abbreviate(String s) { return s.length() <= 60 ? s : s.substring(0, 57) + "..."; }

    private static String quote(String s) { return '"' + s.replace("\n", "\\n") + '"'; }
}
