package dev.ortho.core.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * gpt-oss experts, stored fused with biases and applied as {@code x @ W[e] + b[e]}:
 * {@code gate_up_proj [E, in, 2I]} with gate and up INTERLEAVED in the columns (gate even, up odd),
 * the clamped SwiGLU {@code (clamp(up, -7, 7) + 1) * g * sigmoid(1.702 g)} with {@code g = min(gate, 7)}
 * (constants of transformers' modeling code, not config), then {@code down_proj [E, I, hidden]}.
 * Each expert's output is weighted by a dense {@code [N, E]} routing matrix (zero off the top-k) and
 * summed: every expert runs on every token, exact but experts/top-k times the compute.
 * A tensor split into chunks along the expert axis (larger than one buffer) is handled chunk by chunk.
 */
final class FusedExperts {

    static final float LIMIT = 7f;
    static final float ALPHA = 1.702f;

    private final OnnxGraphBuilder g;
    private final Function<String, WeightStore.Weight> weights;

    FusedExperts(OnnxGraphBuilder g, Function<String, WeightStore.Weight> weights) {
        this.g = g;
        this.weights = weights;
    }

    /**
     * @param h       [N, in] normed residual
     * @param routing [N, E] routing weights, zero for experts not picked
     * @param gateUpName the fused [E, in, 2I] tensor; its bias is {@code gateUpName + "_bias"} [E, 2I]
     * @param downName   the fused [E, I, hidden] tensor; its bias is {@code downName + "_bias"} [E, hidden]
     * @return [N, hidden]
     */
    String apply(String h, String routing, String gateUpName, String downName) {
        WeightStore.Weight gateUp = weights.apply(gateUpName);
        String gateUpBias = weights.apply(gateUpName + "_bias").single().name();
        List<String> acts = new ArrayList<>();
        for (WeightStore.Chunk ch : gateUp.chunks()) {
            long e0 = ch.rowStart(), e1 = e0 + ch.shape()[0];
            String gu = g.add(g.matmul(h, ch.name()), g.unsqueeze(g.slice(gateUpBias, 0, e0, e1), 1));   // [e,N,2I]
            String pairs = g.reshape(gu, g.longs(0, 0, -1, 2));                                          // [e,N,I,2]
            String gate = g.squeeze(g.slice(pairs, -1, 0, 1), -1);
            String up = g.squeeze(g.slice(pairs, -1, 1, 2), -1);
            gate = g.op("Min", gate, g.scalar(LIMIT));
            up = g.op("Max", g.op("Min", up, g.scalar(LIMIT)), g.scalar(-LIMIT));
            String glu = g.mul(gate, g.sigmoid(g.mul(gate, g.scalar(ALPHA))));
            acts.add(g.mul(g.add(up, g.scalar(1f)), glu));                                               // [e,N,I]
        }
        String act = acts.size() == 1 ? acts.getFirst() : g.concat(0, acts);
        WeightStore.Weight down = weights.apply(downName);
        String downBias = weights.apply(downName + "_bias").single().name();
        String perExpert = g.unsqueeze(g.transpose(routing, 1, 0), 2);                                   // [E,N,1]
        String out = null;
        for (WeightStore.Chunk ch : down.chunks()) {
            long e0 = ch.rowStart(), e1 = e0 + ch.shape()[0];
            String a = down.split() ? g.slice(act, 0, e0, e1) : act;
            String y = g.add(g.matmul(a, ch.name()), g.unsqueeze(g.slice(downBias, 0, e0, e1), 1));      // [e,N,H]
            y = g.mul(y, down.split() ? g.slice(perExpert, 0, e0, e1) : perExpert);
            String sum = g.op("ReduceSum", List.of(OnnxGraphBuilder.attr("keepdims", 0L)), y, g.longs(0));
            out = out == null ? sum : g.add(out, sum);
        }
        return out;
    }
}
