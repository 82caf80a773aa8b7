package dev.ortho.formats.config;

import java.util.Map;
import java.util.Optional;

/**
 * How an architecture's config class reads its rope settings where transformers deviates from the
 * generic standardization, taken from the architecture spec (no model names in Java).
 *
 * @param typeAliases                  rope type names the config class rewrites (Phi-3: {@code su}, {@code yarn}
 *                                     mean {@code longrope})
 * @param originalMaxPositionEmbeddings the top-level {@code original_max_position_embeddings} the config
 *                                     class has when config.json leaves it out (Phi-3: 4096)
 */
public record RopeRules(Map<String, String> typeAliases, Optional<Integer> originalMaxPositionEmbeddings) {

    /** transformers' generic reading. */
    public static final RopeRules NONE = new RopeRules(Map.of(), Optional.empty());

    public RopeRules {
        typeAliases = Map.copyOf(typeAliases);
    }
}
