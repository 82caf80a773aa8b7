package dev.ortho.core.text;

import java.util.Arrays;

/**
 * An instruction rendered with the chat template and tokenized.
 *
 * @param text the rendered prompt
 * @param ids its token ids (no padding)
 * @param endsWithPostInstruction whether {@code ids} end with the post-instruction tokens; false only when the
 *        instruction's last characters merged with the template (the paper's Llama-2 caveat, METHOD.md §1),
 *        in which case positions −n..−1 still exist but the first of them is not a template token
 */
public record FormattedPrompt(String text, int[] ids, boolean endsWithPostInstruction) {

    public FormattedPrompt {
        ids = ids.clone();
    }

    @Override
    public int[] ids() { return ids.clone(); }

    public int length() { return ids.length; }

    @Override
    public boolean equals(Object o) {
        return o instanceof FormattedPrompt p && p.text.equals(text) && Arrays.equals(p.ids, ids)
                && p.endsWithPostInstruction == endsWithPostInstruction;
    }

    @Override
    public int hashCode() { return text.hashCode() * 31 + Arrays.hashCode(ids); }

    @Override
    public String toString() { return "FormattedPrompt[" + ids.length + " tokens]"; }
}
