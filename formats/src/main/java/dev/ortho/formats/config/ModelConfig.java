package dev.ortho.formats.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.PythonJson;
import dev.ortho.formats.checkpoint.StrictJson;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The parts of {@code config.json} Ortho uses, typed. Both the transformers-5 names
 * ({@code rope_parameters}, {@code dtype}, {@code layer_types}) and the legacy ones most published
 * checkpoints carry ({@code rope_theta}, {@code torch_dtype}, {@code rotary_pct},
 * {@code rotary_emb_base}, {@code partial_rotary_factor}, {@code rope_scaling}) are read; the two
 * spellings of the same model give equal records.
 */
public record ModelConfig(String modelType, List<String> architectures, int hiddenSize, int numLayers, int numHeads,
                          int numKvHeads, int headDim, int intermediateSize, int vocabSize,
                          Optional<Boolean> tieWordEmbeddingsRaw, String dtype, double ropeTheta,
                          double partialRotaryFactor, Optional<RopeScaling> ropeScaling, double normEps,
                          Optional<Integer> slidingWindow, List<String> layerTypes, int maxPositionEmbeddings,
                          String hiddenAct, Optional<Integer> numExperts, Optional<Integer> numExpertsPerTok,
                          Optional<Double> attnLogitSoftcapping, Optional<Double> finalLogitSoftcapping,
                          Optional<Double> queryPreAttnScalar, boolean useParallelResidual, boolean attentionBias,
                          JsonNode raw) {

    public static ModelConfig read(Path configJson) {
        return fromJson(StrictJson.read(configJson, "config.json"), configJson);
    }

    public static ModelConfig fromJson(JsonNode root, Path file) {
        Reader top = new Reader(root, file);
        String modelType = top.string("model_type").orElseThrow(() -> top.missing("model_type"));
        List<String> archs = new ArrayList<>();
        JsonNode a = root.get("architectures");
        if (a != null && a.isArray()) for (JsonNode e : a) if (e.isTextual()) archs.add(e.asText());
        JsonNode c = textModel(root);
        Reader r = new Reader(c, file);
        int hidden = r.positiveInt("hidden_size", "n_embd", "d_model").orElseThrow(() -> r.missing("hidden_size"));
        int layers = r.positiveInt("num_hidden_layers", "n_layer", "num_layers").orElseThrow(() -> r.missing("num_hidden_layers"));
        int heads = r.positiveInt("num_attention_heads", "n_head").orElseThrow(() -> r.missing("num_attention_heads"));
        int kvHeads = r.positiveInt("num_key_value_heads").orElse(heads);
        int headDim = r.positiveInt("head_dim").orElse(hidden / heads);
        int intermediate = r.positiveInt("intermediate_size", "n_inner", "ffn_dim").orElse(4 * hidden);
        int vocab = r.positiveInt("vocab_size").orElseThrow(() -> r.missing("vocab_size"));
        Optional<Boolean> tie = r.bool("tie_word_embeddings");
        String dtype = r.string("dtype").or(() -> r.string("torch_dtype")).orElse("float32");
        JsonNode rope = globalRope(c.get("rope_parameters"));
        double theta = r.number(rope, "rope_theta").or(() -> r.number(c, "rope_theta"))
                .or(() -> r.number(c, "rotary_emb_base")).orElse(10000.0);
        double partial = r.number(rope, "partial_rotary_factor").or(() -> r.number(c, "partial_rotary_factor"))
                .or(() -> r.number(c, "rotary_pct")).orElse(1.0);
        Optional<RopeScaling> scaling = ropeScaling(r, rope, RopeRules.NONE).or(() -> ropeScaling(r, c.get("rope_scaling"), RopeRules.NONE));
        double eps = r.number(c, "rms_norm_eps").or(() -> r.number(c, "layer_norm_epsilon"))
                .or(() -> r.number(c, "layer_norm_eps")).orElse(1e-6);
        // transformers writes 0 (Qwen2-MoE) or null when no layer slides; only a negative window is meaningless.
        Optional<Integer> window = r.nonNegativeInt("sliding_window").filter(w -> w > 0);
        if (r.bool("use_sliding_window").orElse(true) == Boolean.FALSE) window = Optional.empty();
        List<String> layerTypes = new ArrayList<>();
        JsonNode lt = c.get("layer_types");
        if (lt != null && lt.isArray()) for (JsonNode e : lt) if (e.isTextual()) layerTypes.add(e.asText());
        int maxPos = r.positiveInt("max_position_embeddings", "n_positions", "n_ctx").orElse(2048);
        String act = r.string("hidden_act").or(() -> r.string("hidden_activation"))
                .or(() -> r.string("activation_function")).orElse("silu");
        Optional<Integer> experts = r.positiveInt("num_local_experts", "num_experts");
        Optional<Integer> perTok = r.positiveInt("num_experts_per_tok");
        return new ModelConfig(modelType, List.copyOf(archs), hidden, layers, heads, kvHeads, headDim, intermediate, vocab,
                tie, dtype, theta, partial, scaling, eps, window, List.copyOf(layerTypes), maxPos, act, experts, perTok,
                r.number(c, "attn_logit_softcapping"), r.number(c, "final_logit_softcapping"),
                r.number(c, "query_pre_attn_scalar"), r.bool("use_parallel_residual").orElse(false),
                r.bool("attention_bias").orElse(false), c);
    }

    /**
     * The same config with its rope scaling read under an architecture's {@link RopeRules} (type
     * aliases, default original length), as that architecture's transformers config class reads it.
     */
    public ModelConfig withRopeRules(RopeRules rules, Path file) {
        if (rules.equals(RopeRules.NONE)) return this;
        Reader r = new Reader(raw, file);
        JsonNode rope = globalRope(raw.get("rope_parameters"));
        Optional<RopeScaling> scaling = ropeScaling(r, rope, rules).or(() -> ropeScaling(r, raw.get("rope_scaling"), rules));
        return new ModelConfig(modelType, architectures, hiddenSize, numLayers, numHeads, numKvHeads, headDim,
                intermediateSize, vocabSize, tieWordEmbeddingsRaw, dtype, ropeTheta, partialRotaryFactor, scaling, normEps,
                slidingWindow, layerTypes, maxPositionEmbeddings, hiddenAct, numExperts, numExpertsPerTok,
                attnLogitSoftcapping, finalLogitSoftcapping, queryPreAttnScalar, useParallelResidual, attentionBias, raw);
    }

    /**
     * The language model's settings: a multimodal wrapper (Gemma 3's {@code model_type} "gemma3")
     * keeps them in {@code text_config}; keys it leaves out there are taken from the top level
     * (tie_word_embeddings, dtype, token ids sit there in published configs).
     */
    private static JsonNode textModel(JsonNode root) {
        JsonNode text = root.get("text_config");
        if (text == null || !text.isObject()) return root;
        ObjectNode merged = root.deepCopy();
        merged.remove("text_config");
        text.properties().forEach(e -> {
            if (!e.getKey().equals("model_type") && !e.getKey().equals("architectures")) merged.set(e.getKey(), e.getValue());
        });
        return merged;
    }

    /**
     * Gemma 3 keys {@code rope_parameters} by layer type; the record's rope is that of the
     * full-attention layers (the legacy {@code rope_theta} / {@code rope_scaling}), and the runtime
     * reads the sliding layers' own entry (legacy {@code rope_local_base_freq}) from {@link #raw()}.
     */
    private static JsonNode globalRope(JsonNode rope) {
        if (rope != null && rope.isObject() && rope.get("full_attention") instanceof ObjectNode full) return full;
        return rope;
    }

    /**
     * The scaling dict as transformers 5 standardizes it: for llama3, yarn and longrope a top-level
     * {@code original_max_position_embeddings} (Phi-3 keeps it there) wins over the dict's own, else
     * {@code max_position_embeddings}; yarn/longrope without a factor use the ratio of the two lengths.
     */
    private static Optional<RopeScaling> ropeScaling(Reader r, JsonNode n, RopeRules rules) {
        if (n == null || !n.isObject()) return Optional.empty();
        String written = Optional.ofNullable(n.get("rope_type")).or(() -> Optional.ofNullable(n.get("type")))
                .filter(JsonNode::isTextual).map(JsonNode::asText).orElse("default");
        // Some config classes rename types (Phi3Config: the early releases' "su" and "yarn" are longrope).
        String type = rules.typeAliases().getOrDefault(written, written);
        if (type.equals("default")) return Optional.empty();
        int maxPos = r.positiveInt("max_position_embeddings", "n_positions", "n_ctx").orElse(2048);
        Optional<Integer> omax = r.number(n, "original_max_position_embeddings").map(Double::intValue);
        if (type.equals("llama3") || type.equals("yarn") || type.equals("longrope")) {
            // A config class with the attribute (Phi3Config: default 4096) always has it at the top level.
            Optional<Integer> top = r.positiveInt("original_max_position_embeddings").or(rules::originalMaxPositionEmbeddings);
            omax = top.or(() -> Optional.of(r.number(n, "original_max_position_embeddings").map(Double::intValue).orElse(maxPos)));
        }
        Optional<Integer> om = omax;
        double factor = r.number(n, "factor").orElseGet(() -> (type.equals("yarn") || type.equals("longrope"))
                && om.isPresent() ? (double) maxPos / om.get() : 1.0);
        JsonNode truncate = n.get("truncate");
        if (truncate != null && !truncate.isNull() && !truncate.isBoolean()) {
            throw new InvalidInputException(r.file(), null, "rope key 'truncate' must be true or false");
        }
        // beta_fast/beta_slow: transformers uses `or 32` / `or 1`, so 0 and null mean the default too.
        double betaFast = r.number(n, "beta_fast").filter(b -> b != 0).orElse(32.0);
        double betaSlow = r.number(n, "beta_slow").filter(b -> b != 0).orElse(1.0);
        return Optional.of(new RopeScaling(type, factor, r.number(n, "low_freq_factor"), r.number(n, "high_freq_factor"),
                omax, r.number(n, "attention_factor"), betaFast, betaSlow, r.number(n, "mscale"),
                r.number(n, "mscale_all_dim"), truncate == null || truncate.isNull() || truncate.asBoolean(),
                r.numbers(n, "short_factor"), r.numbers(n, "long_factor")));
    }

    /** The same config JSON with {@code tie_word_embeddings} set, pretty-printed, key order kept. */
    public static byte[] withTieWordEmbeddings(byte[] originalConfigJson, boolean value) {
        JsonNode root = StrictJson.parse(null, "config.json", originalConfigJson);
        ((ObjectNode) root).put("tie_word_embeddings", value);
        // A text_config's own key would override the top level when read back (see textModel).
        if (root.path("text_config").has("tie_word_embeddings")) {
            ((ObjectNode) root.get("text_config")).put("tie_word_embeddings", value);
        }
        return PythonJson.dumps(root).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Typed access with messages that name the file and the key. */
    private record Reader(JsonNode c, Path file) {

        Optional<String> string(String key) {
            JsonNode v = c.get(key);
            if (v == null || v.isNull()) return Optional.empty();
            if (!v.isTextual()) throw new InvalidInputException(file, null, "config key '" + key + "' must be a string");
            return Optional.of(v.asText());
        }

        Optional<Boolean> bool(String key) {
            JsonNode v = c.get(key);
            if (v == null || v.isNull()) return Optional.empty();
            if (!v.isBoolean()) throw new InvalidInputException(file, null, "config key '" + key + "' must be true or false");
            return Optional.of(v.asBoolean());
        }

        Optional<Double> number(JsonNode n, String key) {
            if (n == null) return Optional.empty();
            JsonNode v = n.get(key);
            if (v == null || v.isNull()) return Optional.empty();
            if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
                throw new InvalidInputException(file, null, "config key '" + key + "' must be a finite number");
            }
            return Optional.of(v.asDouble());
        }

        Optional<Integer> nonNegativeInt(String key) {
            JsonNode v = c.get(key);
            if (v == null || v.isNull()) return Optional.empty();
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0) {
                throw new InvalidInputException(file, null, "config key '" + key + "' must be a non-negative integer, got " + v);
            }
            return Optional.of(v.asInt());
        }

        Optional<Integer> positiveInt(String... keys) {
            for (String key : keys) {
                JsonNode v = c.get(key);
                if (v == null || v.isNull()) continue;
                if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() <= 0) {
                    throw new InvalidInputException(file, null, "config key '" + key + "' must be a positive integer, got " + v);
                }
                return Optional.of(v.asInt());
            }
            return Optional.empty();
        }

        /** A list of finite numbers, empty when the key is absent. */
        List<Double> numbers(JsonNode n, String key) {
            JsonNode v = n.get(key);
            if (v == null || v.isNull()) return List.of();
            List<Double> out = new ArrayList<>();
            if (v.isArray()) for (JsonNode e : v) if (e.isNumber() && Double.isFinite(e.asDouble())) out.add(e.asDouble());
            if (!v.isArray() || out.size() != v.size()) {
                throw new InvalidInputException(file, null, "config key '" + key + "' must be a list of finite numbers");
            }
            return List.copyOf(out);
        }

        InvalidInputException missing(String key) {
            return new InvalidInputException(file, null, "config.json has no '" + key + "'");
        }
    }
}
