package dev.ortho.core.runtime;

import dev.ortho.core.arch.RuntimeSpec;
import dev.ortho.formats.config.ModelConfig;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static dev.ortho.core.runtime.OnnxGraphBuilder.attr;

/**
 * A sparse mixture-of-experts MLP with top-k dispatch, as transformers 5 computes it. Routing per the
 * architecture spec's {@code runtime.moe}: {@code softmax_topk} (softmax over all router logits, top-k,
 * optionally renormalized: Mixtral, Qwen-MoE) or {@code topk_softmax} (top-k of the biased router's
 * logits, softmax over those k: gpt-oss). Each expert runs only on the token rows whose top-k holds it
 * and its weighted output is added back into those rows, experts in index order (transformers'
 * {@code index_add_} loop); plus a shared expert gated by {@code sigmoid(shared_expert_gate . x)} when
 * the spec names one (Qwen2-MoE). Tensor names come from the spec's {@code layer_tensors}.
 *
 * <p>In ONNX, per expert e: {@code NonZero(topk_index == e)} gives the (row, slot) pairs routed to e,
 * {@code Gather} their rows, the expert's matrices on those rows only, {@code GatherND} their routing
 * weights, and {@code ScatterND(reduction=add)} back into the [N, hidden] output. An expert no token
 * picked runs on zero rows.
 */
final class MoeBlock {

    /** gpt-oss's SwiGLU constants (modeling code, not config). */
    static final float LIMIT = 7f, ALPHA = 1.702f;

    /** The graph's weight access (binding and chunks stay in {@link ModelGraph}). */
    interface Weights {
        /** nn.Linear: {@code x·Wᵀ + b}, W [out, in]; a null or absent bias adds nothing. */
        String linear(String x, String weight, String bias);

        /** {@code x·W + b}, W [in, out]. */
        String matmul(String x, String weight, String bias);

        /** A small tensor as one graph value (biases). */
        String tensor(String name);
    }

    /** How the experts' SwiGLU weights are stored. */
    sealed interface Experts {
        /** One 2-D tensor per expert and projection; {@code {expert}} in each name. */
        record PerExpert(String gate, String up, String down) implements Experts {}

        /** transformers-5 fused layout: {@code gate_up [E, 2I, H]} (rows gate | up), {@code down [E, H, I]}. */
        record Fused(String gateUp, String down, long intermediate) implements Experts {}

        /**
         * gpt-oss: {@code gate_up [E, H, 2I]} with gate/up interleaved in the columns, {@code down [E, I, H]},
         * each with {@code NAME_bias}; the SwiGLU clamped ({@link #clampedSwiglu}).
         */
        record FusedInterleavedClamped(String gateUp, String down, long intermediate) implements Experts {}
    }

    /**
     * One layer's sparse block.
     *
     * @param router      router module ([E, hidden] weight, optional bias)
     * @param numExperts  E
     * @param topK        experts per token
     * @param softmaxFirst softmax over all logits then top-k; else top-k of the logits then softmax over k
     * @param renormalize top-k weights divided by their sum (softmax-first routing only)
     * @param shared      shared expert's gate/up/down modules, if any
     * @param sharedGate  its [1, hidden] sigmoid gate
     */
    record Spec(String router, int numExperts, int topK, boolean softmaxFirst, boolean renormalize, Experts experts,
                Optional<List<String>> shared, Optional<String> sharedGate) {}

    private MoeBlock() {}

    /**
     * The sparse block of layer {@code l}, or empty for a dense MLP; refuses a mixture-of-experts
     * layer whose tensors match no layout of its spec, naming what it looked for.
     */
    static Optional<Spec> detect(ModelConfig c, ModelFamily f, WeightStore w, int l, Path dir) {
        RuntimeSpec.Moe moe = f.spec().moe().orElse(null);
        if (moe == null) {
            if (c.numExperts().isPresent() && c.numExperts().get() > 0) {
                throw RuntimeFailure.unsupported(dir, "config.json gives " + c.numExperts().get() + " experts but architecture spec '"
                        + f.specName() + "' describes no mixture of experts (runtime.moe)");
            }
            return Optional.empty();
        }
        if (!sparseLayer(c, l, moe)) return Optional.empty();
        String router = f.t(l, "router");
        if (router == null || !w.has(router + ".weight")) {
            throw RuntimeFailure.unsupported(dir, "layer " + l + " is a mixture-of-experts layer but has no router "
                    + (router == null ? "in spec '" + f.specName() + "'" : "'" + router + ".weight'")
                    + ": this expert layout is not supported by the runtime");
        }
        Experts experts;
        String perExpert = f.t(l, "expert_gate"), gu = f.t(l, "experts_gate_up"), down = f.t(l, "experts_down");
        long[] r = w.shapeOf(router + ".weight");
        if (perExpert != null && w.has(perExpert.replace("{expert}", "0") + ".weight")) {
            experts = new Experts.PerExpert(perExpert, f.t(l, "expert_up"), f.t(l, "expert_down"));
        } else if (gu != null && w.has(gu) && down != null && w.has(down)) {
            long[] a = w.shapeOf(gu), b = w.shapeOf(down);
            boolean rows = moe.fusedLayout().equals("out_in");
            // out_in: [E, 2I, H] / [E, H, I]; in_out_interleaved: [E, H, 2I] / [E, I, H].
            boolean ok = a.length == 3 && b.length == 3 && r.length == 2 && a[0] == r[0] && b[0] == r[0]
                    && (rows ? a[2] == c.hiddenSize() && a[1] % 2 == 0 && b[1] == c.hiddenSize() && b[2] == a[1] / 2
                             : a[1] == c.hiddenSize() && a[2] % 2 == 0 && b[2] == c.hiddenSize() && b[1] == a[2] / 2);
            if (!ok) {
                throw RuntimeFailure.unsupported(dir, "layer " + l + ": fused experts " + gu + " " + Arrays.toString(a)
                        + " / " + down + " " + Arrays.toString(b) + " are not the " + moe.fusedLayout() + " layout "
                        + (rows ? "[E, 2I, hidden] / [E, hidden, I]" : "[E, hidden, 2I] / [E, I, hidden]")
                        + " the spec declares");
            }
            boolean clamped = moe.experts().equals("clamped_swiglu");
            if (clamped == rows) {
                throw RuntimeFailure.unsupported(dir, "experts " + moe.experts() + " stored " + moe.fusedLayout()
                        + " are not supported by the runtime");
            }
            experts = rows ? new Experts.Fused(gu, down, a[1] / 2) : new Experts.FusedInterleavedClamped(gu, down, a[2] / 2);
        } else {
            throw RuntimeFailure.unsupported(dir, "layer " + l + ": no experts found ('" + perExpert + "' per expert or '"
                    + gu + "' fused): this expert layout is not supported by the runtime");
        }
        if (r.length != 2 || r[1] != c.hiddenSize()) {
            throw RuntimeFailure.badTensor(dir, router + ".weight", "router must be [experts, " + c.hiddenSize() + "], got "
                    + Arrays.toString(r));
        }
        int e = (int) r[0];
        if (c.numExperts().isPresent() && c.numExperts().get() != e) {
            throw RuntimeFailure.badTensor(dir, router + ".weight", "router has " + e + " rows but the config says "
                    + c.numExperts().get() + " experts");
        }
        int topK = c.numExpertsPerTok().orElse(moe.topK());
        if (topK < 1 || topK > e) {
            throw RuntimeFailure.unsupported(dir, "num_experts_per_tok " + topK + " must be between 1 and " + e);
        }
        String sg = f.t(l, "shared_gate");
        Optional<List<String>> shared = sg != null && w.has(sg + ".weight")
                ? Optional.of(List.of(sg, f.t(l, "shared_up"), f.t(l, "shared_down"))) : Optional.empty();
        Optional<String> sharedGate = shared.isPresent() && f.t(l, "shared_expert_gate") != null
                && w.has(f.t(l, "shared_expert_gate") + ".weight") ? Optional.of(f.t(l, "shared_expert_gate")) : Optional.empty();
        boolean renormalize = c.raw().path("norm_topk_prob").isBoolean() ? c.raw().get("norm_topk_prob").asBoolean() : moe.normalize();
        return Optional.of(new Spec(router, e, topK, moe.routing().equals("softmax_topk"), renormalize, experts, shared, sharedGate));
    }

    /** Checks every layer's layout before anything runs. */
    static void validate(ModelConfig c, ModelFamily f, WeightStore w, Path dir) {
        for (int l = 0; l < c.numLayers(); l++) detect(c, f, w, l, dir);
    }

    /**
     * transformers' Qwen2-MoE/Qwen3-MoE rule, where the spec says dense layers exist: sparse unless listed
     * in {@code mlp_only_layers}, and only every {@code decoder_sparse_step}-th layer ({@code (l + 1) % step == 0}).
     */
    static boolean sparseLayer(ModelConfig c, int l, RuntimeSpec.Moe moe) {
        if (!moe.denseLayers()) return true;
        for (var n : c.raw().path("mlp_only_layers")) if (n.asInt(-1) == l) return false;
        int step = c.raw().path("decoder_sparse_step").asInt(1);
        return c.numExperts().orElse(0) > 0 && step > 0 && (l + 1) % step == 0;
    }

    /** The block's output [N, hidden] for normalized input rows {@code h} [N, hidden]. */
    static String build(OnnxGraphBuilder g, Weights w, String act, Spec s, String h) {
        String logits = w.linear(h, s.router() + ".weight", s.router() + ".bias");       // [N,E]
        List<String> tk = g.node("TopK", List.of(s.softmaxFirst() ? g.softmax(logits, -1) : logits, g.longs(s.topK())), 2,
                List.of(attr("axis", -1L)));
        String weights = tk.get(0), chosen = tk.get(1);                                  // [N,k]
        if (!s.softmaxFirst()) {
            weights = g.softmax(weights, -1);
        } else if (s.renormalize()) {
            weights = g.div(weights, g.op("ReduceSum", List.of(attr("keepdims", 1L)), weights, g.longs(-1)));
        }
        String out = g.op("ConstantOfShape", g.shape(h));                                // zeros [N,hidden]
        for (int e = 0; e < s.numExperts(); e++) {
            String pairs = g.op("NonZero", g.op("Equal", chosen, g.scalarLong(e)));      // [2, n_e]: (row, slot)
            String rows = g.gather(pairs, g.scalarLong(0), 0);                           // [n_e]
            String routed = g.op("GatherND", weights, g.transpose(pairs, 1, 0));         // [n_e]
            String y = expert(g, w, act, s.experts(), e, g.gather(h, rows, 0));          // [n_e,hidden]
            y = g.mul(y, g.unsqueeze(routed, 1));
            out = g.op("ScatterND", List.of(attr("reduction", "add")), out, g.unsqueeze(rows, 1), y);
        }
        if (s.shared().isPresent()) {
            List<String> sh = s.shared().get();
            String y = swiglu(g, w, act, h, sh.get(0) + ".weight", sh.get(1) + ".weight", sh.get(2) + ".weight");
            if (s.sharedGate().isPresent()) y = g.mul(g.sigmoid(w.linear(h, s.sharedGate().get() + ".weight", null)), y);
            out = g.add(out, y);
        }
        return out;
    }

    private static String expert(OnnxGraphBuilder g, Weights w, String act, Experts ex, int e, String x) {
        return switch (ex) {
            case Experts.PerExpert pe -> {
                String id = Integer.toString(e);
                yield swiglu(g, w, act, x, pe.gate().replace("{expert}", id) + ".weight",
                        pe.up().replace("{expert}", id) + ".weight", pe.down().replace("{expert}", id) + ".weight");
            }
            case Experts.Fused f -> {
                String gu = w.linear(x, WeightStore.slice(f.gateUp(), e), null);
                long im = f.intermediate();
                String h = g.mul(Activations.apply(g, act, g.slice(gu, 1, 0, im)), g.slice(gu, 1, im, 2 * im));
                yield w.linear(h, WeightStore.slice(f.down(), e), null);
            }
            case Experts.FusedInterleavedClamped f -> {
                String gu = g.add(w.matmul(x, WeightStore.slice(f.gateUp(), e), null), row(g, w, f.gateUp() + "_bias", e));
                String h = clampedSwiglu(g, gu, f.intermediate());
                yield g.add(w.matmul(h, WeightStore.slice(f.down(), e), null), row(g, w, f.down() + "_bias", e));
            }
        };
    }

    /** Row e of a [E, n] bias. */
    private static String row(OnnxGraphBuilder g, Weights w, String bias, int e) {
        return g.gather(w.tensor(bias), g.scalarLong(e), 0);
    }

    /**
     * gpt-oss's activation of {@code gu [n, 2I]} (gate even columns, up odd): {@code g = min(gate, 7)},
     * {@code (clamp(up, -7, 7) + 1) * g * sigmoid(1.702 g)}.
     */
    static String clampedSwiglu(OnnxGraphBuilder g, String gu, long intermediate) {
        // -1 on the row axis: an expert no token picked has zero rows, which Reshape's 0 (copy) would not infer.
        String pairs = g.reshape(gu, g.longs(-1, intermediate, 2));                       // [n,I,2]
        String gate = g.op("Min", g.squeeze(g.slice(pairs, -1, 0, 1), -1), g.scalar(LIMIT));
        String up = g.squeeze(g.slice(pairs, -1, 1, 2), -1);
        up = g.op("Max", g.op("Min", up, g.scalar(LIMIT)), g.scalar(-LIMIT));
        String glu = g.mul(gate, g.sigmoid(g.mul(gate, g.scalar(ALPHA))));
        return g.mul(g.add(up, g.scalar(1f)), glu);
    }

    private static String swiglu(OnnxGraphBuilder g, Weights w, String act, String x, String gate, String up, String down) {
        String h = g.mul(Activations.apply(g, act, w.linear(x, gate, null)), w.linear(x, up, null));
        return w.linear(h, down, null);
    }
}
