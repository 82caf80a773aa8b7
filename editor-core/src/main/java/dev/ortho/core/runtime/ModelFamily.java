package dev.ortho.core.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ortho.formats.config.ModelConfig;

import java.nio.file.Path;

/**
 * What the graph needs to know about a model_type beyond config.json's numbers: tensor names,
 * norm style, the shape of a block, defaults transformers applies when a key is absent.
 */
record ModelFamily(Kind kind, String modelType, String embedName, String headName, String finalNormPrefix,
                   boolean gemmaNorm, boolean sandwichNorms, boolean rotary) {

    enum Kind { DECODER, GPT2, NEOX }

    static ModelFamily of(ModelConfig c, Path dir) {
        String t = c.modelType();
        return switch (t) {
            case "llama", "mistral", "qwen2", "qwen3", "phi3", "mixtral", "qwen2_moe", "qwen3_moe" ->
                    new ModelFamily(Kind.DECODER, t, "model.embed_tokens.weight", "lm_head.weight", "model.norm", false, false, true);
            case "gemma" -> new ModelFamily(Kind.DECODER, t, "model.embed_tokens.weight", "lm_head.weight", "model.norm", true, false, true);
            case "gemma2" -> new ModelFamily(Kind.DECODER, t, "model.embed_tokens.weight", "lm_head.weight", "model.norm", true, true, true);
            case "gpt2" -> new ModelFamily(Kind.GPT2, t, "transformer.wte.weight", "lm_head.weight", "transformer.ln_f", false, false, false);
            case "gpt_neox" -> new ModelFamily(Kind.NEOX, t, "gpt_neox.embed_in.weight", "embed_out.weight",
                    "gpt_neox.final_layer_norm", false, false, true);
            default -> throw RuntimeFailure.unsupported(dir, "model_type '" + t + "' is not supported by the runtime "
                    + "(llama, mistral, qwen2, qwen3, gemma, gemma2, phi3, mixtral, qwen2_moe, qwen3_moe, gpt2, gpt_neox are)");
        };
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
            case "gemma2" -> l % 2 == 0;
            case "mistral", "mixtral", "phi3" -> true;
            case "qwen2", "qwen3", "qwen2_moe", "qwen3_moe" -> l >= c.raw().path("max_window_layers").asInt(c.numLayers());
            default -> false;
        };
    }

    boolean anySliding(ModelConfig c) {
        for (int l = 0; l < c.numLayers(); l++) if (sliding(c, l)) return true;
        return false;
    }
}
