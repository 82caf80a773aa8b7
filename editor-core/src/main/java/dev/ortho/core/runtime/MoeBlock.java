package dev.ortho.core.runtime;

import dev.ortho.formats.config.ModelConfig;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static dev.ortho.core.runtime.OnnxGraphBuilder.attr;

/**
 * A sparse mixture-of-experts MLP with top-k dispatch, as transformers 5 computes it: router logits,
 * softmax over all experts, top-k, optionally renormalized; each expert runs only on the token rows
 * whose top-k holds it and its weighted output is added back into those rows, experts in index order
 * (transformers' {@code index_add_} loop); plus, for Qwen2-MoE, a shared expert gated by
 * {@code sigmoid(shared_expert_gate . x)}.
 *
 * <p>In ONNX, per expert e: {@code NonZero(topk_index == e)} gives the (row, slot) pairs routed to e,
 * {@code Gather} their rows, the expert's Gemms on those rows only, {@code GatherND} their routing
 * weights, and {@code ScatterND(reduction=add)} back into the [N, hidden] output. An expert no token
 * picked runs on zero rows.
 */
final class MoeBlock {

    /** The graph's nn.Linear (x·Wᵀ + b, chunks handled): keeps weight binding in {@link ModelGraph}. */
    interface Linear {
        String apply(String x, String weight, String bias);
    }

    /** How one expert's SwiGLU weights are named. */
    sealed interface Experts {
        /** Hub layout: one 2-D tensor per expert and projection, {@code prefix + e + "." + name}. */
        record PerExpert(String prefix, String gate, String up, String down) implements Experts {}

        /** transformers-5 fused layout: {@code gate_up [E, 2I, H]} (rows gate | up), {@code down [E, H, I]}. */
        record Fused(String gateUp, String down, long intermediate) implements Experts {}
    }

    /**
     * One layer's sparse block.
     *
     * @param router      [E, hidden] router weight
     * @param numExperts  E
     * @param topK        experts per token
     * @param renormalize top-k weights divided by their sum (Mixtral always; Qwen when norm_topk_prob)
     * @param shared      Qwen2-MoE shared expert prefix ({@code gate_proj/up_proj/down_proj}), if any
     * @param sharedGate  its [1, hidden] sigmoid gate
     */
    record Spec(String router, int numExperts, int topK, boolean renormalize, Experts experts,
                Optional<String> shared, Optional<String> sharedGate) {}

    private MoeBlock() {}

    /**
     * The sparse block of layer {@code l}, or empty for a dense MLP; refuses a mixture-of-experts
     * layer whose tensors match no known layout, naming what it found.
     */
    static Optional<Spec> detect(ModelConfig c, WeightStore w, int l, Path dir) {
        String p = "model.layers." + l + ".";
        if (w.has(p + "block_sparse_moe.gate.weight")) {
            return Optional.of(spec(c, w, p + "block_sparse_moe.gate.weight",
                    new Experts.PerExpert(p + "block_sparse_moe.experts.", "w1.weight", "w3.weight", "w2.weight"), p, dir));
        }
        if (c.numExperts().isEmpty() || !sparseLayer(c, l)) return Optional.empty();
        String router = p + "mlp.gate.weight";
        if (!w.has(router)) {
            throw RuntimeFailure.unsupported(dir, "layer " + l + " is a mixture-of-experts layer (num_experts "
                    + c.numExperts().get() + ") but has no router '" + router + "' or '" + p
                    + "block_sparse_moe.gate.weight': this expert layout is not supported by the runtime");
        }
        Experts experts;
        String fused = p + "mlp.experts.gate_up_proj";
        if (w.has(fused)) {
            long[] gu = w.shapeOf(fused);
            long[] down = w.has(p + "mlp.experts.down_proj") ? w.shapeOf(p + "mlp.experts.down_proj") : new long[0];
            long[] r = w.shapeOf(router);
            boolean ok = gu.length == 3 && down.length == 3 && r.length == 2 && gu[0] == r[0] && down[0] == r[0]
                    && gu[2] == c.hiddenSize() && gu[1] % 2 == 0 && down[1] == c.hiddenSize() && down[2] == gu[1] / 2;
            if (!ok) {
                throw RuntimeFailure.unsupported(dir, "layer " + l + ": fused experts gate_up_proj " + Arrays.toString(gu)
                        + " / down_proj " + Arrays.toString(down) + " are not the [E, 2I, hidden] / [E, hidden, I] layout "
                        + "the runtime supports");
            }
            experts = new Experts.Fused(fused, p + "mlp.experts.down_proj", gu[1] / 2);
        } else if (w.has(p + "mlp.experts.0.gate_proj.weight")) {
            experts = new Experts.PerExpert(p + "mlp.experts.", "gate_proj.weight", "up_proj.weight", "down_proj.weight");
        } else {
            throw RuntimeFailure.unsupported(dir, "layer " + l + ": mixture-of-experts weights under '" + p
                    + "mlp.experts' are neither per-expert gate_proj/up_proj/down_proj nor fused gate_up_proj/down_proj: "
                    + "this expert layout is not supported by the runtime");
        }
        return Optional.of(spec(c, w, router, experts, p, dir));
    }

    /** Checks every layer's layout before anything runs. */
    static void validate(ModelConfig c, WeightStore w, Path dir) {
        for (int l = 0; l < c.numLayers(); l++) detect(c, w, l, dir);
    }

    /**
     * transformers' Qwen2-MoE/Qwen3-MoE rule: sparse unless listed in {@code mlp_only_layers}, and
     * only every {@code decoder_sparse_step}-th layer ({@code (l + 1) % step == 0}).
     */
    static boolean sparseLayer(ModelConfig c, int l) {
        for (var n : c.raw().path("mlp_only_layers")) if (n.asInt(-1) == l) return false;
        int step = c.raw().path("decoder_sparse_step").asInt(1);
        return c.numExperts().orElse(0) > 0 && step > 0 && (l + 1) % step == 0;
    }

    private static Spec spec(ModelConfig c, WeightStore w, String router, Experts experts, String p, Path dir) {
        long[] r = w.shapeOf(router);
        if (r.length != 2 || r[1] != c.hiddenSize()) {
            throw RuntimeFailure.badTensor(dir, router, "router must be [experts, " + c.hiddenSize() + "], got " + Arrays.toString(r));
        }
        int e = (int) r[0];
        if (c.numExperts().isPresent() && c.numExperts().get() != e) {
            throw RuntimeFailure.badTensor(dir, router, "router has " + e + " rows but the config says "
                    + c.numExperts().get() + " experts");
        }
        int topK = c.numExpertsPerTok().orElse(defaultTopK(c));
        if (topK < 1 || topK > e) {
            throw RuntimeFailure.unsupported(dir, "num_experts_per_tok " + topK + " must be between 1 and " + e);
        }
        Optional<String> shared = w.has(p + "mlp.shared_expert.gate_proj.weight")
                ? Optional.of(p + "mlp.shared_expert.") : Optional.empty();
        Optional<String> sharedGate = shared.map(s -> p + "mlp.shared_expert_gate.weight");
        return new Spec(router, e, topK, renormalize(c), experts, shared, sharedGate);
    }

    /** {@code norm_topk_prob} when given; Mixtral always renormalizes, the Qwen MoE configs default to false. */
    private static boolean renormalize(ModelConfig c) {
        var n = c.raw().get("norm_topk_prob");
        if (n != null && n.isBoolean()) return n.asBoolean();
        return c.modelType().equals("mixtral");
    }

    /** transformers' config defaults for num_experts_per_tok. */
    private static int defaultTopK(ModelConfig c) {
        return switch (c.modelType()) {
            case "qwen2_moe" -> 4;
            case "qwen3_moe" -> 8;
            default -> 2;
        };
    }

    /** The block's output [N, hidden] for normalized input rows {@code h} [N, hidden]. */
    static String build(OnnxGraphBuilder g, Linear linear, String act, Spec s, String h) {
        String probs = g.softmax(linear.apply(h, s.router(), null), -1);                 // [N,E]
        List<String> tk = g.node("TopK", List.of(probs, g.longs(s.topK())), 2, List.of(attr("axis", -1L)));
        String weights = tk.get(0), chosen = tk.get(1);                                  // [N,k]
        if (s.renormalize()) {
            weights = g.div(weights, g.op("ReduceSum", List.of(attr("keepdims", 1L)), weights, g.longs(-1)));
        }
        String out = g.op("ConstantOfShape", g.shape(h));                                // zeros [N,hidden]
        for (int e = 0; e < s.numExperts(); e++) {
            String pairs = g.op("NonZero", g.op("Equal", chosen, g.scalarLong(e)));      // [2, n_e]: (row, slot)
            String rows = g.gather(pairs, g.scalarLong(0), 0);                           // [n_e]
            String routed = g.op("GatherND", weights, g.transpose(pairs, 1, 0));         // [n_e]
            String y = expert(g, linear, act, s.experts(), e, g.gather(h, rows, 0));     // [n_e,hidden]
            y = g.mul(y, g.unsqueeze(routed, 1));
            out = g.op("ScatterND", List.of(attr("reduction", "add")), out, g.unsqueeze(rows, 1), y);
        }
        if (s.shared().isPresent()) {
            String sh = s.shared().get();
            String y = swiglu(g, linear, act, h, sh + "gate_proj.weight", sh + "up_proj.weight", sh + "down_proj.weight");
            out = g.add(out, g.mul(g.sigmoid(linear.apply(h, s.sharedGate().orElseThrow(), null)), y));
        }
        return out;
    }

    private static String expert(OnnxGraphBuilder g, Linear linear, String act, Experts ex, int e, String x) {
        return switch (ex) {
            case Experts.PerExpert pe -> {
                String p = pe.prefix() + e + ".";
                yield swiglu(g, linear, act, x, p + pe.gate(), p + pe.up(), p + pe.down());
            }
            case Experts.Fused f -> {
                String gu = linear.apply(x, WeightStore.slice(f.gateUp(), e), null);
                long im = f.intermediate();
                String h = g.mul(Activations.apply(g, act, g.slice(gu, 1, 0, im)), g.slice(gu, 1, im, 2 * im));
                yield linear.apply(h, WeightStore.slice(f.down(), e), null);
            }
        };
    }

    private static String swiglu(OnnxGraphBuilder g, Linear linear, String act, String x, String gate, String up, String down) {
        String h = g.mul(Activations.apply(g, act, linear.apply(x, gate, null)), linear.apply(x, up, null));
        return linear.apply(h, down, null);
    }
}
