package dev.ortho.core.runtime;

/**
 * How the checkpoint's tensors reach ONNX Runtime.
 *
 * <p>Measured on a 0.47 GB F32 Llama (docs/runtime.md): {@link #FEED} adds no anonymous memory for
 * weights; {@link #INITIALIZER} (data_location EXTERNAL + {@code addExternalInitializers}) made
 * ONNX Runtime 1.29 hold a second, anonymous copy of every weight.
 */
public enum WeightBinding {
    /** Weights are graph inputs, passed with every run as tensors over the mapping: never copied. */
    FEED,
    /** Weights are declared external initializers supplied at session creation (copied by ONNX Runtime). */
    INITIALIZER
}
