package dev.ortho.core.provenance;

import java.util.List;

/**
 * One edited tensor.
 *
 * @param maxLeftover max |r·w'| over the residual-space vectors of the stored output
 */
public record EditedTensor(String name, String file, String role, int layer, String dtype, List<Long> shape,
                           String layout, double frobeniusBefore, double frobeniusAfter, double maxLeftover) {}
