package dev.ortho.core.edit.quant;

import dev.ortho.formats.InvalidInputException;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What {@link QuantizationDetector} found in a checkpoint.
 *
 * @param findings   every piece of evidence, in the order found; empty for a plain float checkpoint
 * @param fp8        the block-FP8 scheme when the checkpoint is block-scaled FP8 and nothing else
 * @param fp8Weights names of the block-FP8 weights that have their scale tensor beside them
 */
public record QuantScan(List<QuantFinding> findings, Optional<Fp8BlockScheme> fp8, Set<String> fp8Weights) {

    public static final QuantScan NONE = new QuantScan(List.of(), Optional.empty(), Set.of());

    public QuantScan {
        findings = List.copyOf(findings);
        fp8Weights = Set.copyOf(fp8Weights);
    }

    public boolean quantized() { return !findings.isEmpty(); }

    /** Whether Ortho can edit it: plain floats, or block-scaled FP8 and nothing else. */
    public boolean editable() {
        return findings.stream().allMatch(f -> f.format().editable());
    }

    /** Whether this tensor is a block-FP8 weight that the FP8 path edits. */
    public boolean isFp8Weight(String name) { return fp8.isPresent() && fp8Weights.contains(name); }

    /** Whether this tensor is the scale of a block-FP8 weight. */
    public boolean isFp8Scale(String name) {
        return fp8.isPresent() && name.endsWith(Fp8BlockScheme.SCALE_SUFFIX)
                && fp8Weights.contains(name.substring(0, name.length() - Fp8BlockScheme.SCALE_SUFFIX.length()));
    }

    /** Refuses (exit 2, before anything is written) when the checkpoint is in a format Ortho does not edit. */
    public void requireEditable(Path checkpoint) {
        if (editable()) return;
        QuantFinding first = findings.stream().filter(f -> !f.format().editable()).findFirst().orElseThrow();
        boolean lora = first.format() == QuantFormat.LORA;
        StringBuilder msg = new StringBuilder("is a ").append(first.format().label())
                .append(lora ? " (or holds one)" : " checkpoint")
                .append(", which Ortho does not edit: only float weights (F32, BF16, F16, F64) and block-scaled FP8")
                .append(" (quant_method fp8 with weight_block_size) can be edited exactly; ")
                .append(lora ? "an unmerged adapter adds its own lora_B·lora_A to the writers, which would put r back."
                        : "editing the float tensors alone would leave the quantized writers untouched.")
                .append(" Found:");
        for (QuantFinding f : findings) msg.append("\n  - ").append(f.describe());
        msg.append("\nWhat to do: ").append(first.format().advice()).append('.');
        throw new InvalidInputException(checkpoint, null, msg.toString());
    }
}
