package dev.ortho.core.arch;

/** What a tensor does with respect to the residual stream. */
public enum Role {
    /** Token embedding: every row is written into the residual stream at the input. */
    EMBEDDING,
    /** Learned position embedding (GPT-2 {@code wpe}): added to the residual stream at the input. */
    POSITION_EMBEDDING,
    /** Attention output projection: writes each layer's attention result into the residual stream. */
    ATTN_OUT,
    /** MLP down projection (or a shared expert's): writes each layer's MLP result. */
    MLP_OUT,
    /** One routed expert's down projection (or all experts fused in one tensor). */
    EXPERT_OUT,
    /** The bias of a residual writer: added to the residual stream as is. */
    WRITER_BIAS,
    /** The output head: reads the residual stream; never edited, but matters for tied embeddings. */
    LM_HEAD,
    /** Everything else: copied byte for byte. */
    OTHER;

    /** Whether the tensor writes into the residual stream, i.e. is a candidate for the edit. */
    public boolean writer() {
        return this != LM_HEAD && this != OTHER;
    }

    /** The {@code --components} name that selects this role. */
    public String component() {
        return switch (this) {
            case EMBEDDING, POSITION_EMBEDDING -> "embed";
            case ATTN_OUT -> "attn";
            case MLP_OUT, EXPERT_OUT -> "mlp";
            case WRITER_BIAS -> "bias";
            case LM_HEAD, OTHER -> "none";
        };
    }
}
