package dev.ortho.core.edit;

/**
 * What to do when the output head shares the embedding matrix. Editing a shared matrix edits the
 * head too, and the final norm's per-channel weights then put a component along r back before the
 * head: only keeping the original head (untying) makes the edit exactly equal to ablation.
 */
public enum TiedPolicy {
    /** Write an explicit {@code lm_head.weight} holding the ORIGINAL embedding; set tie_word_embeddings false. */
    UNTIE("untie"),
    /** Edit the shared matrix, so the head is edited too (what most abliteration scripts do). */
    EDIT_BOTH("edit-both"),
    /** Leave the embedding alone; edit only the layer writers. */
    SKIP_EMBEDDING("skip-embedding");

    private final String cliName;

    TiedPolicy(String cliName) { this.cliName = cliName; }

    public String cliName() { return cliName; }

    public static TiedPolicy parse(String s) {
        for (TiedPolicy p : values()) if (p.cliName.equals(s)) return p;
        throw new IllegalArgumentException("unknown tied-embeddings policy '" + s + "' (untie, edit-both, skip-embedding)");
    }
}
