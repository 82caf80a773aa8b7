package dev.ortho.core.arch;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * How a writer tensor is stored, as declared by an architecture spec. The declaration is checked
 * against the tensor's actual shape and the model's hidden size before anything is edited (by
 * {@code dev.ortho.core.edit.ProjectionLayout#of}: this package does not depend on the editor).
 */
public enum WriterLayout {
    /** nn.Linear [hidden, in]: the output (hidden) dimension first. */
    OUT_IN("out_in"),
    /** GPT-2 Conv1D [in, hidden]: the output (hidden) dimension last. */
    IN_OUT("in_out"),
    /** Embedding [rows, hidden], or a bias [hidden]; per-expert biases [E, hidden]. */
    ROWS("rows"),
    /**
     * Experts fused in one 3-D tensor, [E, hidden, in] or [E, in, hidden], told apart by shape.
     * Refused when both inner dimensions equal hidden: state the orientation with one of the two below.
     */
    EXPERTS("experts"),
    /** Experts fused [E, hidden, in] (transformers 5's Mixtral / Qwen-MoE in-memory layout): nn.Linear per expert. */
    EXPERTS_OUT_IN("experts_out_in"),
    /** Experts fused [E, in, hidden] (gpt-oss, used as {@code h @ W[e]}): Conv1D-like per expert. */
    EXPERTS_IN_OUT("experts_in_out");

    private final String jsonName;

    WriterLayout(String jsonName) { this.jsonName = jsonName; }

    public String jsonName() { return jsonName; }

    public static Optional<WriterLayout> fromJson(String s) {
        return Arrays.stream(values()).filter(v -> v.jsonName.equals(s)).findFirst();
    }

    /** The JSON names, for error messages. */
    public static List<String> jsonNames() {
        return Arrays.stream(values()).map(WriterLayout::jsonName).toList();
    }

    /** Human description of where hidden must be, for error messages. */
    public String expectation() {
        return switch (this) {
            case OUT_IN -> "[hidden, in]";
            case IN_OUT -> "[in, hidden]";
            case ROWS -> "[rows, hidden] or [hidden]";
            case EXPERTS -> "[experts, hidden, in] or [experts, in, hidden] with in != hidden"
                    + " (state experts_out_in or experts_in_out when they are equal)";
            case EXPERTS_OUT_IN -> "[experts, hidden, in]";
            case EXPERTS_IN_OUT -> "[experts, in, hidden]";
        };
    }
}
