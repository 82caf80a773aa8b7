package dev.ortho.core.edit.quant;

import java.util.List;

/**
 * One piece of evidence that a checkpoint is quantized or an adapter.
 *
 * @param format   what it points to
 * @param evidence where it was seen, e.g. {@code config.json quantization_config.quant_method = "gptq"}
 * @param tensors  the first few tensors that show it (at most {@link #EXAMPLES})
 * @param count    how many tensors show it in all
 */
public record QuantFinding(QuantFormat format, String evidence, List<String> tensors, int count) {

    public static final int EXAMPLES = 4;

    public QuantFinding {
        tensors = List.copyOf(tensors);
    }

    /** One line for messages and {@code inspect}. */
    public String describe() {
        StringBuilder s = new StringBuilder(format.label()).append(": ").append(evidence);
        if (count > 0) {
            s.append(" (").append(count).append(count == 1 ? " tensor: " : " tensors, e.g. ")
                    .append(String.join(", ", tensors)).append(')');
        }
        return s.toString();
    }
}
