package dev.ortho.core.provenance;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;

/**
 * One edited tensor.
 *
 * @param maxLeftover max over the basis vectors q_j and the residual-space vectors w' of the stored
 *                    output of |q_j·w'|
 * @param alpha       α_t actually used for this tensor (null in manifests older than edit variants:
 *                    the parameters' alpha)
 * @param basisLayer  which layer's basis was used, -1 for a global basis (null in older manifests)
 * @param quantized   for a block-FP8 weight: how it was stored and how much of the edit survived;
 *                    absent for float tensors. {@code dtype} is then the stored dtype (F8_E4M3, or
 *                    BF16 with --dequantize-edited)
 */
public record EditedTensor(String name, String file, String role, int layer, String dtype, List<Long> shape,
                           String layout, double frobeniusBefore, double frobeniusAfter, double maxLeftover,
                           Double alpha, Integer basisLayer,
                           @JsonInclude(JsonInclude.Include.NON_NULL) QuantizedEdit quantized) {

    /** A float tensor's edit (no FP8 storage). */
    public EditedTensor(String name, String file, String role, int layer, String dtype, List<Long> shape,
                        String layout, double frobeniusBefore, double frobeniusAfter, double maxLeftover,
                        Double alpha, Integer basisLayer) {
        this(name, file, role, layer, dtype, shape, layout, frobeniusBefore, frobeniusAfter, maxLeftover, alpha, basisLayer, null);
    }

    /** As recorded before edit variants (α_t and basis layer absent). */
    public EditedTensor(String name, String file, String role, int layer, String dtype, List<Long> shape,
                        String layout, double frobeniusBefore, double frobeniusAfter, double maxLeftover,
                        QuantizedEdit quantized) {
        this(name, file, role, layer, dtype, shape, layout, frobeniusBefore, frobeniusAfter, maxLeftover, null, null, quantized);
    }

    public EditedTensor(String name, String file, String role, int layer, String dtype, List<Long> shape,
                        String layout, double frobeniusBefore, double frobeniusAfter, double maxLeftover) {
        this(name, file, role, layer, dtype, shape, layout, frobeniusBefore, frobeniusAfter, maxLeftover, null, null, null);
    }
}
