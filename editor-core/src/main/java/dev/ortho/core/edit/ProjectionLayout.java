package dev.ortho.core.edit;

import dev.ortho.core.arch.WriterLayout;

import java.util.Optional;

/**
 * Where the hidden (residual-stream) dimension sits in a tensor, which decides the rule applied.
 */
public enum ProjectionLayout {
    /**
     * Hidden is the LAST dimension: every row is a vector in the residual space and loses its
     * component along r: {@code E' = E − α (E r) rᵀ}. Embeddings [vocab, hidden], GPT-2 Conv1D
     * writers [in, hidden], writer biases [hidden], experts stored [E, in, hidden].
     */
    ROWS,
    /**
     * Hidden is the SECOND-TO-LAST dimension: every column is a vector in the residual space:
     * {@code W' = W − α r (rᵀ W)}. nn.Linear writers [hidden, in], fused experts [E, hidden, in]
     * (leading dimensions are a batch of independent matrices).
     */
    COLUMNS;

    /**
     * The kernel layout for a tensor of the declared layout, or empty when the shape does not put
     * the hidden size where the declaration says (or, for the shape-inferred {@code experts}, when
     * the shape cannot tell the orientation).
     */
    public static Optional<ProjectionLayout> of(WriterLayout declared, long[] shape, int hidden) {
        int n = shape.length;
        return switch (declared) {
            case OUT_IN -> n == 2 && shape[0] == hidden ? Optional.of(COLUMNS) : Optional.empty();
            case IN_OUT -> n == 2 && shape[1] == hidden ? Optional.of(ROWS) : Optional.empty();
            case ROWS -> n >= 1 && n <= 2 && shape[n - 1] == hidden ? Optional.of(ROWS) : Optional.empty();
            case EXPERTS_OUT_IN -> n == 3 && shape[1] == hidden ? Optional.of(COLUMNS) : Optional.empty();
            case EXPERTS_IN_OUT -> n == 3 && shape[2] == hidden ? Optional.of(ROWS) : Optional.empty();
            case EXPERTS -> {
                // Guessing when both inner dimensions are hidden (gpt-oss: intermediate == hidden)
                // would edit the wrong axis of half the real checkpoints: refuse instead.
                if (n != 3 || shape[1] == shape[2]) yield Optional.empty();
                if (shape[1] == hidden) yield Optional.of(COLUMNS);
                if (shape[2] == hidden) yield Optional.of(ROWS);
                yield Optional.empty();
            }
        };
    }
}
