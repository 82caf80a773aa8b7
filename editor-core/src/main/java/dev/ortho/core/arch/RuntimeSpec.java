package dev.ortho.core.arch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.config.RopeRules;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * The runtime half of an architecture spec (its {@code runtime} section): how the forward pass of
 * the architecture is assembled from kinds of computation the runtime implements, and where its
 * tensors are. The runtime holds no model names; everything model-specific is here, in JSON.
 *
 * @param block            the kind of block (see {@link Block})
 * @param norm             the norm every block and the final norm use
 * @param sandwich         norms on both sides of attention and MLP (Gemma 2/3): the block output is
 *                         normalized before it is added to the residual stream
 * @param embedding        token embedding tensor
 * @param positionEmbedding learned position embedding added at the input, if any
 * @param head             output head tensor when the embeddings are not tied
 * @param finalNorm        final norm module (".weight" / ".bias" appended)
 * @param layers           prefix of layer {@code l}'s tensors: {@code layers + l + "."}
 * @param textTowers       prefixes that replace a leading {@code "model."} in every name when the
 *                         plain embedding is absent (multimodal checkpoints' language model)
 * @param layerTensors     per-layer module names relative to the layer prefix, keyed by what they compute
 *                         ({@link #LAYER_KEYS}); a key may list alternatives (one architecture saved
 *                         under two naming schemes): the first present in the checkpoint is used
 * @param activation       config keys read in order for the MLP activation, each with aliases
 * @param activationDefault the activation when no key is present
 * @param layerNormEpsKey  config key of a LayerNorm's epsilon (RMS norms read rms_norm_eps)
 * @param embeddingScale   multiply the embedding by sqrt(hidden) (rounded to the weights' dtype)
 * @param rotary           rotary position embedding on q and k
 * @param sliding          which layers slide when config.json has no {@code layer_types}
 * @param localRopeTheta   base of the sliding layers' own rope when config names none (Gemma 3)
 * @param tieWordEmbeddings transformers' default when config.json does not say
 * @param moe              how mixture-of-experts layers route and compute, if the architecture has them
 * @param rope             how the architecture's config class reads rope settings (type aliases, default
 *                         original length; Phi-3), {@link RopeRules#NONE} for transformers' generic reading
 */
public record RuntimeSpec(Block block, Norm norm, boolean sandwich, String embedding, Optional<String> positionEmbedding,
                          String head, String finalNorm, String layers, List<String> textTowers,
                          Map<String, List<String>> layerTensors, List<ActivationKey> activation, String activationDefault,
                          String layerNormEpsKey, boolean embeddingScale, boolean rotary, Sliding sliding,
                          OptionalDouble localRopeTheta, boolean tieWordEmbeddings, Optional<Moe> moe,
                          RopeRules rope) {

    /** Kinds of block. */
    public enum Block {
        /** Pre-norm decoder: separate or fused q/k/v and gate/up projections, nn.Linear weights [out, in]. */
        DECODER,
        /** Conv1D weights [in, out], fused q|k|v, LayerNorm with biases, learned positions. */
        GPT2,
        /** Fused per-head [q|k|v], partial rotary, optionally parallel attention and MLP. */
        NEOX
    }

    public enum Norm { RMS, RMS_ONE_PLUS, LAYER }

    /** Default rule for which layers attend in a sliding window (config {@code layer_types} overrides it). */
    public enum Sliding {
        NONE, ALL,
        /** Layers 0, 2, 4, ... (Gemma 2, gpt-oss). */
        EVEN_LAYERS,
        /** Every {@code sliding_window_pattern}-th layer (1-based) is global (Gemma 3; default 6). */
        PATTERN,
        /** Layers from {@code max_window_layers} on (Qwen 2/3). */
        FROM_MAX_WINDOW_LAYERS
    }

    /** A config key holding the activation name, and names it maps to others (legacy meanings). */
    public record ActivationKey(String key, Map<String, String> aliases) {}

    /**
     * Mixture-of-experts routing and expert computation. Experts are stored one tensor per expert
     * ({@code expert_gate/up/down} with {@code {expert}} in the name) or fused in 3-D tensors
     * ({@code experts_gate_up}, {@code experts_down}); a shared expert ({@code shared_gate/up/down},
     * gated by {@code sigmoid(shared_expert_gate · x)}) is added when the spec names one.
     *
     * @param routing     {@code softmax_topk}: softmax over all router logits, then the top k;
     *                    {@code topk_softmax}: top k of the logits, softmax over those k
     * @param normalize   renormalize the k weights to sum 1 (the config key {@code norm_topk_prob}, when present, decides)
     * @param experts     {@code swiglu}, or {@code clamped_swiglu} (gpt-oss: biases, clamp 7, alpha 1.702, (up+1))
     * @param fusedLayout {@code out_in}: [E, 2I, hidden] rows gate|up and [E, hidden, I] (transformers 5);
     *                    {@code in_out_interleaved}: [E, hidden, 2I] columns gate/up interleaved and [E, I, hidden] (gpt-oss)
     * @param denseLayers layers listed in config {@code mlp_only_layers}, or off the {@code decoder_sparse_step},
     *                    are plain MLPs (Qwen-MoE)
     * @param topK        transformers' default {@code num_experts_per_tok} when config.json does not say
     */
    public record Moe(String routing, boolean normalize, String experts, String fusedLayout, boolean denseLayers, int topK) {}

    /** What a layer tensor key may name. */
    public static final Set<String> LAYER_KEYS = Set.of("attn_norm", "mlp_norm", "post_attn_norm", "post_mlp_norm",
            "q", "k", "v", "qkv", "o", "q_norm", "k_norm", "sinks", "gate", "up", "gate_up", "down",
            "router", "expert_gate", "expert_up", "expert_down", "experts_gate_up", "experts_down",
            "shared_gate", "shared_up", "shared_down", "shared_expert_gate");

    private static final Set<String> KEYS = Set.of("block", "norm", "norm_placement", "embedding", "position_embedding",
            "head", "final_norm", "layers", "text_towers", "layer_tensors", "activation", "layer_norm_eps_key",
            "embedding_scale", "rotary", "sliding_layers", "local_rope_theta", "tie_word_embeddings", "moe", "rope");

    public RuntimeSpec {
        textTowers = List.copyOf(textTowers);
        Map<String, List<String>> lt = new LinkedHashMap<>();
        layerTensors.forEach((k, v) -> lt.put(k, List.copyOf(v)));
        layerTensors = java.util.Collections.unmodifiableMap(lt);
        activation = List.copyOf(activation);
    }

    /** Layer {@code l}'s module for {@code key} (its first alternative), or null when the architecture has none. */
    public String layerTensor(int l, String key) {
        List<String> t = layerTensors.get(key);
        return t == null ? null : layers + l + "." + t.getFirst();
    }

    /**
     * Layer {@code l}'s module for {@code key}: the first alternative that {@code present} finds
     * (as the name itself or with ".weight"; {@code {expert}} read as expert 0), else the first.
     */
    public String layerTensor(int l, String key, java.util.function.Predicate<String> present) {
        List<String> t = layerTensors.get(key);
        if (t == null) return null;
        for (String alt : t) {
            String name = layers + l + "." + alt, probe = name.replace("{expert}", "0");
            if (present.test(probe) || present.test(probe + ".weight")) return name;
        }
        return layers + l + "." + t.getFirst();
    }

    /** The same spec with its names moved under a text tower (a leading "model." replaced). */
    public RuntimeSpec underTower(String tower) {
        return new RuntimeSpec(block, norm, sandwich, moved(embedding, tower), positionEmbedding.map(n -> moved(n, tower)),
                head, moved(finalNorm, tower), moved(layers, tower), List.of(), layerTensors, activation, activationDefault,
                layerNormEpsKey, embeddingScale, rotary, sliding, localRopeTheta, tieWordEmbeddings, moe, rope);
    }

    private static String moved(String name, String tower) {
        return name.startsWith("model.") ? tower + name.substring("model.".length()) : name;
    }

    static RuntimeSpec fromJson(JsonNode n, Path source) {
        if (!n.isObject()) throw bad(source, "'runtime' must be an object");
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!KEYS.contains(k)) throw bad(source, "runtime: unknown key '" + k + "' (allowed: " + KEYS + ")");
        }
        Block block = choice(n, "block", Block.class, source);
        Norm norm = choice(n, "norm", Norm.class, source);
        String placement = optText(n, "norm_placement", source).orElse("pre");
        if (!placement.equals("pre") && !placement.equals("sandwich")) {
            throw bad(source, "runtime.norm_placement must be 'pre' or 'sandwich', got '" + placement + "'");
        }
        Map<String, List<String>> tensors = new LinkedHashMap<>();
        JsonNode lt = n.get("layer_tensors");
        if (lt == null || !lt.isObject()) throw bad(source, "runtime.layer_tensors must be an object");
        for (Iterator<Map.Entry<String, JsonNode>> it = lt.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!LAYER_KEYS.contains(e.getKey())) {
                throw bad(source, "runtime.layer_tensors: unknown key '" + e.getKey() + "' (known: " + LAYER_KEYS + ")");
            }
            List<String> alts = new ArrayList<>();
            if (e.getValue().isTextual()) alts.add(e.getValue().asText());
            else for (JsonNode a : e.getValue()) alts.add(a.isTextual() ? a.asText() : "");
            if (alts.isEmpty() || alts.contains("")) {
                throw bad(source, "runtime.layer_tensors." + e.getKey() + " must be a non-empty string or a list of them");
            }
            tensors.put(e.getKey(), alts);
        }
        boolean sandwich = placement.equals("sandwich");
        if (sandwich && !(tensors.containsKey("post_attn_norm") && tensors.containsKey("post_mlp_norm"))) {
            throw bad(source, "runtime: norm_placement 'sandwich' needs layer_tensors post_attn_norm and post_mlp_norm");
        }
        requireTensors(block, tensors, n.has("moe"), source);
        if (block == Block.GPT2 && !n.has("position_embedding")) {
            throw bad(source, "runtime: block 'gpt2' needs 'position_embedding'");
        }
        JsonNode act = n.get("activation");
        if (act == null || !act.isObject()) throw bad(source, "runtime.activation must be an object {keys, default}");
        List<ActivationKey> keys = new ArrayList<>();
        for (JsonNode k : act.path("keys")) {
            Map<String, String> aliases = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = k.path("aliases").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                aliases.put(e.getKey(), e.getValue().asText());
            }
            if (!k.path("key").isTextual()) throw bad(source, "runtime.activation.keys[]: each needs a 'key' string");
            keys.add(new ActivationKey(k.get("key").asText(), Map.copyOf(aliases)));
        }
        String actDefault = optText(act, "default", source).orElseThrow(() -> bad(source, "runtime.activation needs 'default'"));
        List<String> towers = new ArrayList<>();
        for (JsonNode t : n.path("text_towers")) towers.add(t.asText());
        Sliding sliding = n.has("sliding_layers") ? choice(n, "sliding_layers", Sliding.class, source) : Sliding.NONE;
        OptionalDouble localTheta = n.path("local_rope_theta").isNumber()
                ? OptionalDouble.of(n.get("local_rope_theta").asDouble()) : OptionalDouble.empty();
        Optional<Moe> moe = Optional.empty();
        JsonNode m = n.get("moe");
        if (m != null) {
            String routing = optText(m, "routing", source).orElse("");
            String experts = optText(m, "experts", source).orElse("");
            if (!Set.of("softmax_topk", "topk_softmax").contains(routing)) {
                throw bad(source, "runtime.moe.routing must be softmax_topk or topk_softmax, got '" + routing + "'");
            }
            if (!Set.of("swiglu", "clamped_swiglu").contains(experts)) {
                throw bad(source, "runtime.moe.experts must be swiglu or clamped_swiglu, got '" + experts + "'");
            }
            String fused = optText(m, "fused_layout", source).orElse("out_in");
            if (!Set.of("out_in", "in_out_interleaved").contains(fused)) {
                throw bad(source, "runtime.moe.fused_layout must be out_in or in_out_interleaved, got '" + fused + "'");
            }
            for (Iterator<String> it = m.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!Set.of("routing", "normalize", "experts", "fused_layout", "dense_layers", "top_k").contains(k)) {
                    throw bad(source, "runtime.moe: unknown key '" + k + "'");
                }
            }
            int topK = m.path("top_k").asInt(2);
            if (topK < 1) throw bad(source, "runtime.moe.top_k must be a positive integer");
            moe = Optional.of(new Moe(routing, flag(m, "normalize", source), experts, fused, flag(m, "dense_layers", source), topK));
        }
        return new RuntimeSpec(block, norm, sandwich, text(n, "embedding", source), optText(n, "position_embedding", source),
                text(n, "head", source), text(n, "final_norm", source), text(n, "layers", source), towers, tensors, keys,
                actDefault, optText(n, "layer_norm_eps_key", source).orElse("layer_norm_eps"),
                flag(n, "embedding_scale", source), n.has("rotary") ? flag(n, "rotary", source) : true, sliding, localTheta,
                flag(n, "tie_word_embeddings", source), moe, ropeRules(n.get("rope"), source));
    }

    /** {@code runtime.rope}: {@code type_aliases} (written type to type) and {@code original_max_position_embeddings}. */
    private static RopeRules ropeRules(JsonNode r, Path source) {
        if (r == null) return RopeRules.NONE;
        if (!r.isObject()) throw bad(source, "runtime.rope must be an object");
        for (Iterator<String> it = r.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!Set.of("type_aliases", "original_max_position_embeddings").contains(k)) {
                throw bad(source, "runtime.rope: unknown key '" + k + "'");
            }
        }
        Map<String, String> aliases = new LinkedHashMap<>();
        JsonNode a = r.get("type_aliases");
        if (a != null) {
            if (!a.isObject()) throw bad(source, "runtime.rope.type_aliases must be an object of strings");
            for (Iterator<Map.Entry<String, JsonNode>> it = a.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isTextual()) throw bad(source, "runtime.rope.type_aliases." + e.getKey() + " must be a string");
                aliases.put(e.getKey(), e.getValue().asText());
            }
        }
        JsonNode o = r.get("original_max_position_embeddings");
        if (o != null && !(o.isIntegralNumber() && o.canConvertToInt() && o.asInt() > 0)) {
            throw bad(source, "runtime.rope.original_max_position_embeddings must be a positive integer");
        }
        return new RopeRules(aliases, o == null ? Optional.empty() : Optional.of(o.asInt()));
    }

    /** The modules a block kind cannot run without, so a spec gap is named here rather than met mid-graph. */
    private static void requireTensors(Block block, Map<String, List<String>> t, boolean moe, Path source) {
        List<String> missing = new ArrayList<>();
        for (String k : List.of("attn_norm", "mlp_norm", "o")) if (!t.containsKey(k)) missing.add(k);
        if (block == Block.DECODER) {
            if (!t.containsKey("qkv") && !(t.containsKey("q") && t.containsKey("k") && t.containsKey("v"))) missing.add("q, k, v (or qkv)");
            if (!moe && !t.containsKey("down")) missing.add("down");
            if (!moe && !t.containsKey("gate_up") && !(t.containsKey("gate") && t.containsKey("up"))) missing.add("gate, up (or gate_up)");
            if (t.containsKey("q_norm") != t.containsKey("k_norm")) missing.add("q_norm and k_norm together");
        } else {
            for (String k : List.of("qkv", "up", "down")) if (!t.containsKey(k)) missing.add(k);
        }
        if (!missing.isEmpty()) {
            throw bad(source, "runtime.layer_tensors of a '" + block.name().toLowerCase(java.util.Locale.ROOT)
                    + "' block needs " + String.join("; ", missing));
        }
    }

    private static <E extends Enum<E>> E choice(JsonNode n, String key, Class<E> type, Path source) {
        String v = text(n, key, source);
        for (E e : type.getEnumConstants()) if (e.name().equalsIgnoreCase(v)) return e;
        List<String> known = new ArrayList<>();
        for (E e : type.getEnumConstants()) known.add(e.name().toLowerCase(java.util.Locale.ROOT));
        throw bad(source, "runtime." + key + ": unknown value '" + v + "' (known: " + String.join(", ", known) + ")");
    }

    private static String text(JsonNode n, String key, Path source) {
        return optText(n, key, source).orElseThrow(() -> bad(source, "runtime." + key + " must be a string"));
    }

    private static Optional<String> optText(JsonNode n, String key, Path source) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) return Optional.empty();
        if (!v.isTextual()) throw bad(source, "runtime." + key + " must be a string");
        return Optional.of(v.asText());
    }

    private static boolean flag(JsonNode n, String key, Path source) {
        JsonNode v = n.get(key);
        if (v == null) return false;
        if (!v.isBoolean()) throw bad(source, "runtime." + key + " must be true or false");
        return v.asBoolean();
    }

    private static InvalidInputException bad(Path source, String problem) {
        return new InvalidInputException(source, null, "architecture spec: " + problem);
    }
}
