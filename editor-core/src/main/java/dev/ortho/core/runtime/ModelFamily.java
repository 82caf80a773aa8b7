package dev.ortho.core.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ortho.core.arch.ArchSpec;
import dev.ortho.core.arch.RuntimeSpec;
import dev.ortho.formats.config.ModelConfig;

import java.nio.file.Path;
import java.util.function.Predicate;

/**
 * What the graph needs to know about an architecture beyond config.json's numbers: its spec's
 * runtime section (kind of block, norms, tensor names, defaults transformers applies when a key is
 * absent), read through the questions the graph asks. No model names here: they live in the JSON specs.
 */
record ModelFamily(String specName, RuntimeSpec spec, Predicate<String> present) {

    /** The runtime description of {@code arch}, refused when the spec has none. */
    static ModelFamily of(ArchSpec arch, Path dir) {
        RuntimeSpec rs = arch.runtime().orElseThrow(() -> RuntimeFailure.unsupported(dir, "architecture spec '"
                + arch.name() + "' has no runtime section, so the runtime cannot run it (see docs/architecture-specs.md)"));
        return new ModelFamily(arch.name(), rs, name -> true);
    }

    /**
     * The same family with its tensor names moved under the text tower of a multimodal checkpoint
     * when the plain names are absent (Gemma 3's {@code Gemma3ForConditionalGeneration}).
     */
    ModelFamily locate(Predicate<String> has) {
        if (has.test(spec.embedding())) return new ModelFamily(specName, spec, has);
        for (String tower : spec.textTowers()) {
            RuntimeSpec moved = spec.underTower(tower);
            if (has.test(moved.embedding())) return new ModelFamily(specName, moved, has);
        }
        return new ModelFamily(specName, spec, has);
    }

    RuntimeSpec.Block kind() { return spec.block(); }

    String embedName() { return spec.embedding(); }

    String headName() { return spec.head(); }

    String finalNormPrefix() { return spec.finalNorm(); }

    boolean gemmaNorm() { return spec.norm() == RuntimeSpec.Norm.RMS_ONE_PLUS; }

    boolean sandwichNorms() { return spec.sandwich(); }

    boolean rotary() { return spec.rotary(); }

    /** Layer {@code l}'s module for a {@link RuntimeSpec#LAYER_KEYS} key, or null when the architecture has none. */
    String t(int l, String key) { return spec.layerTensor(l, key, present); }

    /** The config's tie_word_embeddings, else the architecture's default. */
    boolean tied(ModelConfig c) { return c.tieWordEmbeddingsRaw().orElse(spec.tieWordEmbeddings()); }

    /** The MLP activation: the spec's config keys in order (with their legacy aliases), else its default. */
    String activation(ModelConfig c, Path dir) {
        JsonNode raw = c.raw();
        String act = spec.activationDefault();
        for (RuntimeSpec.ActivationKey k : spec.activation()) {
            JsonNode v = raw.get(k.key());
            if (v != null && v.isTextual()) {
                act = k.aliases().getOrDefault(v.asText(), v.asText());
                break;
            }
        }
        if (!Activations.known(act)) throw RuntimeFailure.unsupported(dir, "activation '" + act + "' is not supported");
        return act;
    }

    /** LayerNorm epsilon: the spec's key first (GPT-NeoX configs may also carry rms_norm_eps). */
    double layerNormEps(ModelConfig c) {
        JsonNode v = c.raw().get(spec.layerNormEpsKey());
        return v != null && v.isNumber() ? v.asDouble() : 1e-5;
    }

    /** Whether layer l attends only inside the sliding window. */
    boolean sliding(ModelConfig c, int l) {
        if (c.slidingWindow().isEmpty() || kind() != RuntimeSpec.Block.DECODER) return false;
        if (!c.layerTypes().isEmpty()) return c.layerTypes().get(l).equals("sliding_attention");
        return switch (spec.sliding()) {
            case NONE -> false;
            case ALL -> true;
            case EVEN_LAYERS -> l % 2 == 0;
            case PATTERN -> (l + 1) % slidingWindowPattern(c) != 0;
            case FROM_MAX_WINDOW_LAYERS -> l >= c.raw().path("max_window_layers").asInt(c.numLayers());
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
