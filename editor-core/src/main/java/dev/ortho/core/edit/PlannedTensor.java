package dev.ortho.core.edit;

import dev.ortho.core.arch.TensorRole;
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
 */
public record PlannedTensor(String file, TensorInfo source, String outputName, TensorRole role, Action action,
                            ProjectionLayout layout, double[] direction, java.util.List<double[]> basis, double alpha,
                            int basisLayer, boolean normPreserving) {

    public enum Action { EDIT, COPY, UNTIED_HEAD }

    /** A tensor edited with one direction at strength 1 (or not edited, with nulls). */
    public PlannedTensor(String file, TensorInfo source, String outputName, TensorRole role, Action action,
                         ProjectionLayout layout, double[] direction) {
        this(file, source, outputName, role, action, layout, direction,
                direction == null ? null : java.util.List.of(direction), 1.0, -1, false);
    }

    public boolean edited() { return action == Action.EDIT; }
}
