package dev.ortho.core.edit;

/**
 * What one projection did, for the manifest.
 *
 * @param frobeniusBefore ‖W‖_F of the input
 * @param frobeniusAfter  ‖W'‖_F of the stored (rounded) output
 * @param maxLeftover     max over the residual-space vectors w' of the output of |r·w'|, computed on
 *                        the rounded values: what the edit left along r (0 up to rounding when α = 1)
 */
public record ProjectionStats(double frobeniusBefore, double frobeniusAfter, double maxLeftover) {}
