package dev.ortho.core.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ortho.formats.config.ModelConfig;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;

/**
 * What the graph needs to know about a model_type beyond config.json's numbers: tensor names,
 * norm style, the shape of a block, defaults transformers applies when a key is absent.
 */
record ModelFamily(Kind kind, String modelType, String embedName, String headName, String finalNormPrefix,
                   String layerPrefix, boolean gemmaNorm, boolean sandwichNorms, boolean rotary) {

    enum Kind { DECODER, GPT2, NEOX }

    /** Where a multimodal wrapper keeps its language model (transformers 5 first, then the older layout). */
    private static final List<String> TEXT_TOWERS = List.of("model.language_model.", "language_model.model.");

    static ModelFamily of(ModelConfig c, Path dir) {
        String t = c.modelType();
        return switch (t) {
            case "llama", "mistral", "qwen2", "qwen3", "phi3", "mixtral", "gpt_oss" -> decoder(t, false, false);
            case "gemma" -> decoder(t, true, false);
            case "gemma2", "gemma3_text", "gemma3" -> decoder(t, true, true);
            case "gpt2" -> new ModelFamily(Kind.GPT2, t, "transformer.wte.weight", "lm_head.weight", "transformer.ln_f",
                    "transformer.h.", false, false, false);
            case "gpt_neox" -> new ModelFamily(Kind.NEOX, t, "gpt_neox.embed_in.weight", "embed_out.weight",
                    "gpt_neox.final_layer_norm", "gpt_neox.layers.", false, false, true);
            default -> throw RuntimeFailure.unsupported(dir, "model_type '" + t + "' is not supported by the runtime "
                    + "(llama, mistral, qwen2, qwen3, gemma, gemma2, gemma3_text, gemma3, phi3, mixtral, gpt_oss, gpt2,"
                    + " gpt_neox are)");
        };
    }

    private static ModelFamily decoder(String t, boolean gemmaNorm, boolean sandwich) {
        return new ModelFamily(Kind.DECODER, t, "model.embed_tokens.weight", "lm_head.weight", "model.norm",
                "model.layers.", gemmaNorm, sandwich, true);
    }

    /**
     * The same family with its tensor names moved under the text tower of a multimodal checkpoint
     * when the plain names are absent (Gemma 3's {@code Gemma3ForConditionalGeneration}).
     */
    ModelFamily locate(Predicate<String> has) {
        if (kind != Kind.DECODER || has.test(embedName)) return this;
        for (String tower : TEXT_TOWERS) {
            if (has.test(tower + "embed_tokens.weight")) {
                return new ModelFamily(kind, modelType, tower + "embed_tokens.weight", "lm_head.weight", tower + "norm",
                        tower + "layers.", gemmaNorm, sandwichNorms, rotary);
            }
        }
        return this;
    }

    /** The MLP activation, with the per-family defaults transformers uses when the key is absent. */
    String activation(ModelConfig c, Path dir) {
        JsonNode raw = c.raw();
        String act;
        if (modelType.startsWith("gemma")) {
            // Gemma reads hidden_activation; legacy configs that only say hidden_act "gelu" meant the tanh form.
            JsonNode ha = raw.get("hidden_activation");
            if (ha != null && ha.isTextual()) act = ha.asText();
            else act = raw.path("hidden_act").asText("gelu_pytorch_tanh").equals("gelu") ? "gelu_pytorch_tanh"
                    : raw.path("hidden_act").asText("gelu_pytorch_tanh");
        } else if (kind == Kind.GPT2) {
            act = raw.path("activation_function").asText("gelu_new");
        } else if (kind == Kind.NEOX) {
            act = raw.path("hidden_act").asText("gelu");
        } else {
            act = raw.path("hidden_act").asText("silu");
        }
        if (!Activations.known(act)) throw RuntimeFailure.unsupported(dir, "activation '" + act + "' is not supported");
        return act;
    }

    /** LayerNorm epsilon: the family's own key first (GPT-NeoX configs may also carry rms_norm_eps). */
    double layerNormEps(ModelConfig c) {
        JsonNode raw = c.raw();
        String key = kind == Kind.GPT2 ? "layer_norm_epsilon" : "layer_norm_eps";
        JsonNode v = raw.get(key);
        return v != null && v.isNumber() ? v.asDouble() : 1e-5;
    }

    /** Whether layer l attends only inside the sliding window. */
    boolean sliding(ModelConfig c, int l) {
        if (c.slidingWindow().isEmpty() || kind != Kind.DECODER) return false;
        if (!c.layerTypes().isEmpty()) return c.layerTypes().get(l).equals("sliding_attention");
        return switch (modelType) {
            case "gemma2", "gpt_oss" -> l % 2 == 0;
            case "gemma3_text", "gemma3" -> (l + 1) % slidingWindowPattern(c) != 0;
            case "mistral", "mixtral", "phi3" -> true;
            case "qwen2", "qwen3" -> l >= c.raw().path("max_window_layers").asInt(c.numLayers());
            default -> false;
        };
    }

    /** Gemma 3's legacy rule: every pattern-th layer (1-based) attends globally; transformers' default is 6. */
    private static int slidingWindowPattern(ModelConfig c) {
        JsonNode p = c.raw().get("sliding_window_pattern");
        if (p == null || !p.isIntegralNumber()) p = c.raw().get("_sliding_window_pattern");
        return p != null && p.isIntegralNumber() && p.asInt() > 0 ? p.asInt() : 6;
    }

    /**
     * Refuses a config whose attention this runtime would compute differently from transformers:
     * a layer type it does not know, bidirectional attention. (A sliding layer without a window
     * attends fully, in transformers too.)
     */
    void checkAttention(ModelConfig c, Path dir) {
        if (!c.layerTypes().isEmpty() && c.layerTypes().size() != c.numLayers()) {
            throw RuntimeFailure.unsupported(dir, "layer_types has " + c.layerTypes().size() + " entries for "
                    + c.numLayers() + " layers");
        }
        for (String t : c.layerTypes()) {
            if (!t.equals("sliding_attention") && !t.equals("full_attention")) {
                throw RuntimeFailure.unsupported(dir, "layer type '" + t + "' is not supported by the runtime"
                        + " (sliding_attention, full_attention are)");
            }
        }
        if (c.raw().path("use_bidirectional_attention").asBoolean(false)) {
            throw RuntimeFailure.unsupported(dir, "use_bidirectional_attention is not supported by the runtime (causal only)");
        }
    }

    boolean anySliding(ModelConfig c) {
        for (int l = 0; l < c.numLayers(); l++) if (sliding(c, l)) return true;
        return false;
    }
}
