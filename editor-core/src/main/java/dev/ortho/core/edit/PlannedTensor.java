package dev.ortho.core.edit;

import dev.ortho.core.arch.TensorRole;
import dev.ortho.core.edit.quant.Fp8BlockEdit;
import dev.ortho.core.edit.quant.Fp8BlockScheme;
import dev.ortho.formats.safetensors.DType;
import dev.ortho.formats.safetensors.TensorInfo;

/**
 * What the edit does with one output tensor.
 *
 * @param file       output shard file name (same as the input's)
 * @param source     the input tensor whose bytes are read
 * @param outputName the name written (differs from the source only for an untied head)
 * @param role       the spec's classification of the source
 * @param action     edit, copy, or copy as the new untied head
 * @param layout     kernel layout, for EDIT only
 * @param direction  first basis vector (the unit direction for k = 1), for EDIT only
 * @param basis      orthonormal basis removed, for EDIT only
 * @param alpha      α_t, the strength used for this tensor (EDIT only)
 * @param basisLayer which layer's basis was used, -1 for a global one (EDIT only)
 * @param normPreserving whether this tensor's write vectors keep their norms (EDIT only)
 * @param fp8        for a block-FP8 weight being edited and for its scale tensor: how; null otherwise
 */
public record PlannedTensor(String file, TensorInfo source, String outputName, TensorRole role, Action action,
                            ProjectionLayout layout, double[] direction, java.util.List<double[]> basis, double alpha,
                            int basisLayer, boolean normPreserving, Fp8 fp8) {

    /**
     * @param scheme the checkpoint's block-FP8 scheme
     * @param weight the FP8 weight's name
     * @param scale  its scale_inv tensor's name
     * @param output requantize, or store BF16 and drop the scale
     */
    public record Fp8(Fp8BlockScheme scheme, String weight, String scale, Fp8BlockEdit.Output output) {}

    public enum Action {
        EDIT, COPY, UNTIED_HEAD,
        /** The scale_inv of a block-FP8 weight being edited: written from that weight's requantization. */
        FP8_SCALE
    }

    /** A float tensor (no FP8 storage) edited with {@code basis}, or not edited. */
    public PlannedTensor(String file, TensorInfo source, String outputName, TensorRole role, Action action,
                         ProjectionLayout layout, double[] direction, java.util.List<double[]> basis, double alpha,
                         int basisLayer, boolean normPreserving) {
        this(file, source, outputName, role, action, layout, direction, basis, alpha, basisLayer, normPreserving, null);
    }

    /** A tensor edited with one direction at strength 1 (or not edited, with nulls); {@code fp8} as above. */
    public PlannedTensor(String file, TensorInfo source, String outputName, TensorRole role, Action action,
                         ProjectionLayout layout, double[] direction, Fp8 fp8) {
        this(file, source, outputName, role, action, layout, direction,
                direction == null ? null : java.util.List.of(direction), 1.0, -1, false, fp8);
    }

    /** A tensor edited with one direction at strength 1 (or not edited, with nulls). */
    public PlannedTensor(String file, TensorInfo source, String outputName, TensorRole role, Action action,
                         ProjectionLayout layout, double[] direction) {
        this(file, source, outputName, role, action, layout, direction, (Fp8) null);
    }

    public boolean edited() { return action == Action.EDIT; }

    /** The dtype written: the source's, except an FP8 weight stored as BF16 (--dequantize-edited). */
    public DType outputDtype() {
        return action == Action.EDIT && fp8 != null && fp8.output() == Fp8BlockEdit.Output.DEQUANTIZE_BF16
                ? DType.BF16 : source.dtype();
    }

    /** Bytes written for this tensor. */
    public long outputBytes() {
        return source.elementCount() * outputDtype().byteSize();
    }
}
