package dev.ortho.core.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Experts fused in 3-D tensors, every expert run on every token and weighted by a dense {@code [N, E]}
 * routing matrix (zero off the top-k), then summed: exact, at experts/top-k times the compute. Two
 * stored layouts:
 * <ul>
 *   <li>{@link Layout#OUT_IN} (transformers 5's Mixtral / Qwen-MoE): {@code gate_up [E, 2I, hidden]} with
 *       rows gate|up, {@code down [E, hidden, I]}, applied as {@code x @ W[e]ᵀ}; {@code act(gate) * up}.</li>
 *   <li>{@link Layout#IN_OUT_INTERLEAVED_CLAMPED} (gpt-oss): {@code gate_up [E, hidden, 2I]} with gate and up
 *       INTERLEAVED in the columns (gate even, up odd) and bias {@code NAME_bias [E, 2I]}, applied as
 *       {@code x @ W[e] + b[e]}; the SwiGLU clamped as the modeling code does (constants, not config):
 *       {@code g = min(gate, 7)}, {@code (clamp(up, -7, 7) + 1) * g * sigmoid(1.702 g)}; then
 *       {@code down [E, I, hidden]} with its bias.</li>
 * </ul>
 * A tensor split into chunks along the expert axis (larger than one buffer) is handled chunk by chunk.
 */
final class FusedExperts {

    enum Layout { OUT_IN, IN_OUT_INTERLEAVED_CLAMPED }

    static final float LIMIT = 7f;
    static final float ALPHA = 1.702f;

    private final OnnxGraphBuilder g;
    private final Function<String, WeightStore.Weight> weights;
    private final Function<String, Boolean> present;

    FusedExperts(OnnxGraphBuilder g, Function<String, WeightStore.Weight> weights, Function<String, Boolean> present) {
        this.g = g;
        this.weights = weights;
        this.present = present;
    }

    /**
     * @param h       [N, hidden] normed residual
     * @param routing [N, E] routing weights, zero for experts not picked
     * @param act     the activation of {@link Layout#OUT_IN} (the clamped layout has its own)
     * @return [N, hidden]
     */
    String apply(String h, String routing, String gateUpName, String downName, Layout layout, String act) {
        boolean clamped = layout == Layout.IN_OUT_INTERLEAVED_CLAMPED;
        WeightStore.Weight gateUp = weights.apply(gateUpName);
        String gateUpBias = bias(gateUpName);
        List<String> acts = new ArrayList<>();
        for (WeightStore.Chunk ch : gateUp.chunks()) {
            long e0 = ch.rowStart(), e1 = e0 + ch.shape()[0];
            String gu = g.matmul(h, clamped ? ch.name() : g.transpose(ch.name(), 0, 2, 1));               // [e,N,2I]
            if (gateUpBias != null) gu = g.add(gu, g.unsqueeze(g.slice(gateUpBias, 0, e0, e1), 1));
            if (clamped) {
                String pairs = g.reshape(gu, g.longs(0, 0, -1, 2));                                          // [e,N,I,2]
                String gate = g.op("Min", g.squeeze(g.slice(pairs, -1, 0, 1), -1), g.scalar(LIMIT));
                String up = g.squeeze(g.slice(pairs, -1, 1, 2), -1);
                up = g.op("Max", g.op("Min", up, g.scalar(LIMIT)), g.scalar(-LIMIT));
                String glu = g.mul(gate, g.sigmoid(g.mul(gate, g.scalar(ALPHA))));
                acts.add(g.mul(g.add(up, g.scalar(1f)), glu));                                               // [e,N,I]
            } else {
                long im = ch.shape()[1] / 2;
                acts.add(g.mul(Activations.apply(g, act, g.slice(gu, -1, 0, im)), g.slice(gu, -1, im, 2 * im)));
            }
        }
        String a = acts.size() == 1 ? acts.getFirst() : g.concat(0, acts);
        WeightStore.Weight down = weights.apply(downName);
        String downBias = bias(downName);
        String perExpert = g.unsqueeze(g.transpose(routing, 1, 0), 2);                                   // [E,N,1]
        String out = null;
        for (WeightStore.Chunk ch : down.chunks()) {
            long e0 = ch.rowStart(), e1 = e0 + ch.shape()[0];
            String ai = down.split() ? g.slice(a, 0, e0, e1) : a;
            String y = g.matmul(ai, clamped ? ch.name() : g.transpose(ch.name(), 0, 2, 1));               // [e,N,H]
            if (downBias != null) y = g.add(y, g.unsqueeze(g.slice(downBias, 0, e0, e1), 1));
            y = g.mul(y, down.split() ? g.slice(perExpert, 0, e0, e1) : perExpert);
            String sum = g.op("ReduceSum", List.of(OnnxGraphBuilder.attr("keepdims", 0L)), y, g.longs(0));
            out = out == null ? sum : g.add(out, sum);
        }
        return out;
    }

    /** {@code NAME_bias} [E, n] when stored (gpt-oss), else null. */
    private String bias(String name) {
        return present.apply(name + "_bias") ? weights.apply(name + "_bias").single().name() : null;
    }
}
