package dev.ortho.core.provenance;

import java.util.List;

/**
 * One edited tensor.
 *
 * @param maxLeftover max over the basis vectors q_j and the residual-space vectors w' of the stored
 *                    output of |q_j·w'|
 * @param alpha       α_t actually used for this tensor (null in manifests older than edit variants:
 *                    the parameters' alpha)
 * @param basisLayer  which layer's basis was used, -1 for a global basis (null in older manifests)
 */
public record EditedTensor(String name, String file, String role, int layer, String dtype, List<Long> shape,
                           String layout, double frobeniusBefore, double frobeniusAfter, double maxLeftover,
                           Double alpha, Integer basisLayer) {}
