package dev.ortho.core.eval;

/** Why selection discards a candidate (METHOD.md §2.4); labels follow the organism's reference.json. */
public enum FilterReason {
    /** §2.4.1: a score is NaN. */
    NAN_SCORE("nan"),
    /** §2.4.2: l ≥ ⌊0.8 L⌋, too close to the unembedding. */
    LATE_LAYER("late_layer"),
    /** §2.4.3: kl_score above the threshold (0.1): it changes harmless behaviour too much. */
    KL_TOO_HIGH("kl>"),
    /** §2.4.4: induce_score below the threshold (0.0): adding it does not make the model refuse. */
    INDUCE_TOO_LOW("induce<");

    private final String label;

    FilterReason(String label) { this.label = label; }

    /** Short label; for the thresholded filters the caller appends the threshold ("kl>0.1", "induce<0"). */
    public String label() { return label; }
}
