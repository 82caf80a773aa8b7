package dev.ortho.core.edit.quant;

/**
 * What one block-FP8 edit did, in float64. W is the dequantized input, W' its exact float64 edit,
 * Ŵ' the stored result read back (requantized FP8 times its new scales, or the BF16 values).
 *
 * @param frobeniusBefore ‖W‖
 * @param frobeniusAfter  ‖Ŵ'‖
 * @param maxLeftover     max |r·ŵ'| over the residual-space vectors of Ŵ'
 * @param deltaNorm       ‖W' − W‖, the change the edit asked for
 * @param storedDeltaNorm ‖Ŵ' − W‖, the change that was stored
 * @param alongDelta      ⟨Ŵ' − W, W' − W⟩ / ‖W' − W‖: the stored change's component along the intended one
 * @param errorNorm       ‖Ŵ' − W'‖, the rounding (requantization) error
 * @param componentBefore ‖rᵀW‖ (norm over the residual-space vectors of their component along r)
 * @param componentAfter  ‖rᵀŴ'‖
 */
public record Fp8EditStats(double frobeniusBefore, double frobeniusAfter, double maxLeftover, double deltaNorm,
                           double storedDeltaNorm, double alongDelta, double errorNorm, double componentBefore,
                           double componentAfter) {

    /**
     * How much of the intended change survived rounding to the stored type: the stored change
     * projected on the intended one, over the intended one's norm (1 = all of it, 0 = none; noise
     * orthogonal to the intended change does not count). 1 when nothing was to change.
     */
    public double survivedFraction() {
        return deltaNorm == 0 ? 1.0 : alongDelta / deltaNorm;
    }
}
