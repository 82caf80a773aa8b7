package dev.ortho.core.provenance;

import java.util.List;

/**
 * How a block-FP8 weight was edited and how much of the edit its stored form kept. W is the
 * dequantized input, W' its float64 edit, Ŵ' the stored output read back.
 *
 * @param format               {@code fp8-block}
 * @param fmt                  the 8-bit format, {@code e4m3} or {@code e5m2}
 * @param blockSize            [bm, bn] of quantization_config.weight_block_size
 * @param output               {@code requantized} (FP8 with recomputed block scales) or
 *                             {@code dequantized-bf16} (stored as BF16, scale tensor dropped)
 * @param scaleTensor          the weight_scale_inv tensor (rewritten, or dropped for BF16)
 * @param deltaNorm            ‖W' − W‖, the change asked for
 * @param storedDeltaNorm      ‖Ŵ' − W‖, the change stored
 * @param survivedFraction     ⟨Ŵ' − W, W' − W⟩ / ‖W' − W‖²: the share of the asked-for change that the
 *                             stored weights carry (a rank-1 change can vanish on a coarse FP8 grid)
 * @param requantizationError  ‖Ŵ' − W'‖ / ‖W' − W‖ (0 when nothing was to change)
 * @param componentBefore      ‖rᵀW‖ over the tensor's residual-space vectors
 * @param componentAfter       ‖rᵀŴ'‖
 */
public record QuantizedEdit(String format, String fmt, List<Integer> blockSize, String output, String scaleTensor,
                            double deltaNorm, double storedDeltaNorm, double survivedFraction,
                            double requantizationError, double componentBefore, double componentAfter) {

    public static final String FORMAT_FP8_BLOCK = "fp8-block";
}
