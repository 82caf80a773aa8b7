package dev.ortho.core.edit;

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
    COLUMNS
}
