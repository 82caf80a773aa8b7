package dev.ortho.core.edit.quant;

import java.util.List;

/**
 * One piece of evidence that a checkpoint is quantized or an adapter.
 *
 * @param format   what it points to
 * @param evidence where it was seen, e.g. {@code config.json quantization_config.quant_method = "gptq"}
 * @param tensors  the first few tensors that show it (at most {@link #EXAMPLES})
 * @param count    how many tensors show it in all
 * @param writers  the residual-writer modules among them (first {@link #WRITERS}; an edit of the
 *                 float tensors alone would leave these unedited)
 * @param writerCount how many writer modules in all
 */
public record QuantFinding(QuantFormat format, String evidence, List<String> tensors, int count, List<String> writers,
                           int writerCount) {

    public static final int EXAMPLES = 4;
    public static final int WRITERS = 6;

    public QuantFinding {
        tensors = List.copyOf(tensors);
        writers = List.copyOf(writers);
    }

    public QuantFinding(QuantFormat format, String evidence, List<String> tensors, int count) {
        this(format, evidence, tensors, count, List.of(), 0);
    }

    /** One line for messages and {@code inspect}. */
    public String describe() {
        StringBuilder s = new StringBuilder(format.label()).append(": ").append(evidence);
        if (count > 0) {
            s.append(" (").append(count).append(count == 1 ? " tensor: " : " tensors, e.g. ")
                    .append(String.join(", ", tensors)).append(')');
        }
        if (writerCount > 0) {
            s.append("; residual writers among them: ").append(String.join(", ", writers));
            if (writerCount > writers.size()) s.append(" and ").append(writerCount - writers.size()).append(" more");
        }
        return s.toString();
    }
}
