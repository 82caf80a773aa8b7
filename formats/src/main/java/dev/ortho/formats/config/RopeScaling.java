package dev.ortho.formats.config;

import java.util.Optional;

/**
 * Rotary scaling from {@code rope_parameters} (transformers 5) or {@code rope_scaling} (legacy).
 *
 * @param type  default, linear, dynamic, yarn, longrope, llama3
 * @param factor scaling factor
 */
public record RopeScaling(String type, double factor, Optional<Double> lowFreqFactor, Optional<Double> highFreqFactor,
                          Optional<Integer> originalMaxPositionEmbeddings) {}
