package dev.ortho.formats.config;

import java.util.List;
import java.util.Optional;

/**
 * Rotary scaling from {@code rope_parameters} (transformers 5) or {@code rope_scaling} (legacy, keyed
 * {@code rope_type} or the older {@code type}), with the defaults transformers' standardization fills in.
 *
 * @param type                          default, linear, dynamic, yarn, longrope, llama3 (anything else is kept
 *                                      as written so that the runtime can refuse it by name)
 * @param factor                        scaling factor; for yarn/longrope without one, max_position_embeddings /
 *                                      original_max_position_embeddings, as transformers derives it
 * @param originalMaxPositionEmbeddings llama3/yarn/longrope: a top-level {@code original_max_position_embeddings}
 *                                      (Phi-3) wins over the dict's, else max_position_embeddings
 * @param attentionFactor               yarn/longrope: explicit cos/sin multiplier
 * @param betaFast                      yarn (default 32)
 * @param betaSlow                      yarn (default 1)
 * @param mscale                        yarn (DeepSeek style), with {@code mscaleAllDim}
 * @param truncate                      yarn: floor/ceil the correction range (default true)
 * @param shortFactor                   longrope: per-frequency divisors for sequences up to the original length
 * @param longFactor                    longrope: the same beyond it
 */
public record RopeScaling(String type, double factor, Optional<Double> lowFreqFactor, Optional<Double> highFreqFactor,
                          Optional<Integer> originalMaxPositionEmbeddings, Optional<Double> attentionFactor,
                          double betaFast, double betaSlow, Optional<Double> mscale, Optional<Double> mscaleAllDim,
                          boolean truncate, List<Double> shortFactor, List<Double> longFactor) {

    /** The plain form used where only a type and factor matter (linear, dynamic). */
    public RopeScaling(String type, double factor) {
        this(type, factor, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), 32, 1,
                Optional.empty(), Optional.empty(), true, List.of(), List.of());
    }
}
