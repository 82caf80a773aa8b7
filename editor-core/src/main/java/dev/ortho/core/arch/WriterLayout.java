package dev.ortho.core.arch;

import dev.ortho.core.edit.ProjectionLayout;

import java.util.Arrays;
import java.util.Optional;

/**
 * How a writer tensor is stored, as declared by an architecture spec. The declaration is checked
 * against the tensor's actual shape and the model's hidden size before anything is edited.
 */
public enum WriterLayout {
    /** nn.Linear [hidden, in]: the output (hidden) dimension first. */
    OUT_IN("out_in"),
    /** GPT-2 Conv1D [in, hidden]: the output (hidden) dimension last. */
    IN_OUT("in_out"),
    /** Embedding [rows, hidden], or a bias [hidden]. */
    ROWS("rows"),
    /** Experts fused in one 3-D tensor, [E, hidden, in] or [E, in, hidden]; told apart by shape. */
    EXPERTS("experts");

    private final String jsonName;

    WriterLayout(String jsonName) { this.jsonName = jsonName; }

    public String jsonName() { return jsonName; }

    public static Optional<WriterLayout> fromJson(String s) {
        return Arrays.stream(values()).filter(v -> v.jsonName.equals(s)).findFirst();
    }

    /**
     * The kernel layout for a tensor of this declared layout, or empty when the shape does not put
     * the hidden size where the declaration says.
     */
    public Optional<ProjectionLayout> resolve(long[] shape, int hidden) {
        int n = shape.length;
        return switch (this) {
            case OUT_IN -> n == 2 && shape[0] == hidden ? Optional.of(ProjectionLayout.COLUMNS) : Optional.empty();
            case IN_OUT -> n == 2 && shape[1] == hidden ? Optional.of(ProjectionLayout.ROWS) : Optional.empty();
            case ROWS -> n >= 1 && n <= 2 && shape[n - 1] == hidden ? Optional.of(ProjectionLayout.ROWS) : Optional.empty();
            case EXPERTS -> {
                if (n != 3) yield Optional.empty();
                // transformers stores fused down projections as [E, out=hidden, in]; when the
                // intermediate size equals hidden the shape cannot tell, and that convention wins.
                if (shape[1] == hidden) yield Optional.of(ProjectionLayout.COLUMNS);
                if (shape[2] == hidden) yield Optional.of(ProjectionLayout.ROWS);
                yield Optional.empty();
            }
        };
    }

    /** Human description of where hidden must be, for error messages. */
    public String expectation() {
        return switch (this) {
            case OUT_IN -> "[hidden, in]";
            case IN_OUT -> "[in, hidden]";
            case ROWS -> "[rows, hidden] or [hidden]";
            case EXPERTS -> "[experts, hidden, in] or [experts, in, hidden]";
        };
    }
}
