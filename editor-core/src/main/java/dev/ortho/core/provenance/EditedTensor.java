package dev.ortho.core.provenance;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;

/**
 * One edited tensor.
 *
 * @param maxLeftover max |r·w'| over the residual-space vectors of the stored output
 * @param quantized   for a block-FP8 weight: how it was stored and how much of the edit survived;
 *                    absent for float tensors. {@code dtype} is then the stored dtype (F8_E4M3, or
 *                    BF16 with --dequantize-edited)
 */
public record EditedTensor(String name, String file, String role, int layer, String dtype, List<Long> shape,
                           String layout, double frobeniusBefore, double frobeniusAfter, double maxLeftover,
                           @JsonInclude(JsonInclude.Include.NON_NULL) QuantizedEdit quantized) {

    public EditedTensor(String name, String file, String role, int layer, String dtype, List<Long> shape,
                        String layout, double frobeniusBefore, double frobeniusAfter, double maxLeftover) {
        this(name, file, role, layer, dtype, shape, layout, frobeniusBefore, frobeniusAfter, maxLeftover, null);
    }
}
