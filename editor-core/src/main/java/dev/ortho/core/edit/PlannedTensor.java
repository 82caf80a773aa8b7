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
 * @param direction  unit direction used, for EDIT only
 */
public record PlannedTensor(String file, TensorInfo source, String outputName, TensorRole role, Action action,
                            ProjectionLayout layout, double[] direction) {

    public enum Action { EDIT, COPY, UNTIED_HEAD }

    public boolean edited() { return action == Action.EDIT; }
}
