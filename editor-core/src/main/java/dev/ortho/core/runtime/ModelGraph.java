package dev.ortho.core.runtime;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.ortho.formats.config.ModelConfig;
import dev.ortho.formats.safetensors.DType;
import dev.ortho.formats.safetensors.FloatConversions;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static dev.ortho.core.runtime.OnnxGraphBuilder.FLOAT;
import static dev.ortho.core.runtime.OnnxGraphBuilder.INT64;

/**
 * The forward graph of one model, written from its config.json with the semantics of the
 * transformers modeling code of each family (float32 throughout, eager attention). The residual
 * stream is kept as a 2-D {@code [B*T, hidden]} value so that every projection is one Gemm on the
 * stored {@code [out, in]} matrix (transB), which lets ONNX Runtime read the checkpoint's bytes
 * without a transposed copy.
 */
final class ModelGraph {

    private static final int BOOL = TensorProto.DataType.BOOL_VALUE;
    /** Finite, so a fully masked row (a left-pad query) softmaxes to uniform instead of NaN. */
    private static final float MASKED = -1e30f;

    private final ModelConfig c;
    private final ModelFamily f;
    private final WeightStore w;
    private final Path dir;
    private final GraphSpec spec;
    private final WeightBinding binding;
    private final OnnxGraphBuilder g = new OnnxGraphBuilder();
    private final Set<String> declared = new HashSet<>();

    private final int hidden, heads, kvHeads, headDim, layers;
    private String bt;          // Shape(input_ids) = [B, T]
    private String fullBias;    // [B,1,1,T,S] additive mask
    private String slidingBias; // same, with the sliding window
    private String cos, sin;    // [B,1,T,rotaryDim]
    private String positions;   // [B,T] int64
    private String ablateDirs;
    private String seqAblate;             // [B,1,h]: per-row unit directions, zero rows ablate nothing
    private String seqAdd;                // [layers,B,h]: per-row vectors added at each layer input
    private final List<String> outputs = new ArrayList<>();

    private ModelGraph(ModelConfig c, ModelFamily f, WeightStore w, Path dir, GraphSpec spec, WeightBinding binding) {
        this.binding = binding;
        this.c = c;
        this.f = f;
        this.w = w;
        this.dir = dir;
        this.spec = spec;
        this.hidden = c.hiddenSize();
        this.heads = c.numHeads();
        this.kvHeads = f.kind() == ModelFamily.Kind.GPT2 ? c.numHeads() : c.numKvHeads();
        this.headDim = f.kind() == ModelFamily.Kind.GPT2 ? c.hiddenSize() / c.numHeads() : c.headDim();
        this.layers = c.numLayers();
    }

    static ModelProto build(ModelConfig c, ModelFamily f, WeightStore w, Path dir, GraphSpec spec, WeightBinding binding) {
        return new ModelGraph(c, f, w, dir, spec, binding).build();
    }

    private ModelProto build() {
        String ids = g.input("input_ids", INT64, "batch", "seq");
        String mask = g.input("attention_mask", INT64, "batch", "total");
        bt = g.shape(ids);
        masksAndPositions(ids, mask);
        if (spec.intervention() == GraphSpec.Kind.ABLATE || spec.intervention() == GraphSpec.Kind.ABLATE_POSTNORM) {
            ablateDirs = g.input("ablate_dirs", FLOAT, (long) layers, (long) hidden);
        }
        String actAdd = spec.intervention() == GraphSpec.Kind.ACTADD ? g.input("actadd_vec", FLOAT, (long) hidden) : null;
        if (spec.intervention() == GraphSpec.Kind.PER_SEQUENCE) perSequenceInputs();

        String x = embed(g.reshape(ids, g.longs(-1)));
        for (int l = 0; l < layers; l++) {
            if (spec.captureResiduals()) capture("resid_" + l, x);
            if (actAdd != null && l == spec.actAddLayer()) x = g.add(x, actAdd);
            if (seqAdd != null) x = addPerSequence(x, l);
            x = ablate(x, l);
            x = switch (f.kind()) {
                case DECODER -> decoderLayer(x, l);
                case GPT2 -> gpt2Layer(x, l);
                case NEOX -> neoxLayer(x, l);
            };
        }
        if (spec.captureResiduals()) capture("resid_final", x);
        String normed = finalNorm(x);
        if (spec.captureResiduals()) capture("normed_final", normed);
        logits(normed);
        return g.build();
    }

    // ---- shared inputs: positions, masks, rotary ------------------------------------------------

    private void masksAndPositions(String ids, String mask) {
        String tLen = g.shape(ids, 1, 2);
        String sLen = g.shape(mask, 1, 2);
        String pLen = g.sub(sLen, tLen);
        // Positions as transformers' generate derives them: cumsum(mask) - 1, pads set to 1.
        String cs = g.op("CumSum", mask, g.scalarLong(1));
        String pos = g.sub(cs, g.scalarLong(1));
        pos = g.where(g.op("Equal", mask, g.scalarLong(0)), g.scalarLong(1), pos);
        positions = g.slice(pos, 1, pLen, sLen);

        String zero = g.scalarLong(0), one = g.scalarLong(1);
        String s = g.squeeze(sLen, 0), p = g.squeeze(pLen, 0);
        String k = g.unsqueeze(g.op("Range", zero, s, one), 0);   // [1,S] key index
        String q = g.unsqueeze(g.op("Range", p, s, one), 1);      // [T,1] query index
        String causal = g.op("LessOrEqual", k, q);               // [T,S]
        String notPad = g.unsqueeze(g.cast(mask, BOOL), 1);      // [B,1,S]
        fullBias = bias(g.op("And", causal, notPad));
        if (f.anySliding(c)) {
            // transformers: a key is visible when q - k < window.
            long window = c.slidingWindow().orElseThrow();
            String inWindow = g.op("Greater", k, g.sub(q, g.scalarLong(window)));
            slidingBias = bias(g.op("And", g.op("And", causal, inWindow), notPad));
        }
        if (f.rotary()) rotary();
    }

    private String bias(String allowed) {
        return g.unsqueeze(g.where(allowed, g.scalar(0f), g.scalar(MASKED)), 1, 2);
    }

    private void rotary() {
        // Length-dependent types (dynamic, longrope) get their frequencies per run as an input.
        Rope.Frequencies fr = Rope.at(c, dir, 1);
        int half = fr.invFreq().length;
        String inv = Rope.lengthDependent(c) ? g.input(Rope.INPUT, FLOAT, (long) half) : g.constFloat(fr.invFreq(), half);
        String posF = g.unsqueeze(g.cast(positions, FLOAT), 2);                 // [B,T,1]
        String freqs = g.mul(posF, inv);                                        // [B,T,rd/2]
        String emb = g.unsqueeze(g.concat(-1, freqs, freqs), 1);               // [B,1,T,rd]
        cos = g.cos(emb);
        sin = g.sin(emb);
        if (fr.attentionScaling() != 1f) {
            cos = g.mul(cos, g.scalar(fr.attentionScaling()));
            sin = g.mul(sin, g.scalar(fr.attentionScaling()));
        }
    }

    /** q·cos + rotate_half(q)·sin on the first rotaryDim dimensions; the rest pass through. */
    private String applyRotary(String x) {
        int rd = Rope.rotaryDim(c);
        String rot = rd == headDim ? x : g.slice(x, -1, 0, rd);
        String x1 = g.slice(rot, -1, 0, rd / 2);
        String x2 = g.slice(rot, -1, rd / 2, rd);
        String rotated = g.concat(-1, g.neg(x2), x1);
        String out = g.add(g.mul(rot, cos), g.mul(rotated, sin));
        return rd == headDim ? out : g.concat(-1, out, g.slice(x, -1, rd, headDim));
    }

    // ---- weights ------------------------------------------------------------------------------

    private WeightStore.Weight weight(String name) {
        WeightStore.Weight wt = w.weight(name);
        for (WeightStore.Chunk ch : wt.chunks()) {
            if (!declared.add(ch.name())) continue;
            if (binding == WeightBinding.FEED) {
                Object[] dims = new Object[ch.shape().length];
                for (int i = 0; i < dims.length; i++) dims[i] = ch.shape()[i];
                g.input(ch.name(), FLOAT, dims);
            } else {
                g.boundInitializer(ch.name(), FLOAT, ch.shape());
            }
        }
        return wt;
    }

    private String single(String name) { return weight(name).single().name(); }

    /** nn.Linear: x·Wᵀ + b with W stored [out, in]; a split W gives column blocks of the output. */
    private String linear(String x, String wName, String bName) {
        WeightStore.Weight wt = weight(wName);
        String b = bName != null && w.has(bName) ? single(bName) : null;
        if (!wt.split()) return g.gemm(x, wt.single().name(), b, true);
        List<String> parts = new ArrayList<>();
        for (WeightStore.Chunk ch : wt.chunks()) parts.add(g.gemm(x, ch.name(), null, true));
        String y = g.concat(1, parts);
        return b == null ? y : g.add(y, b);
    }

    /** GPT-2 Conv1D: x·W + b with W stored [in, out]; a split W gives partial sums over input blocks. */
    private String conv1d(String x, String wName, String bName) {
        WeightStore.Weight wt = weight(wName);
        String b = single(bName);
        if (!wt.split()) return g.gemm(x, wt.single().name(), b, false);
        String y = null;
        for (WeightStore.Chunk ch : wt.chunks()) {
            String xs = g.slice(x, 1, ch.rowStart(), ch.rowStart() + ch.shape()[0]);
            String part = g.gemm(xs, ch.name(), null, false);
            y = y == null ? part : g.add(y, part);
        }
        return g.add(y, b);
    }

    /** Embedding rows for flat ids; a split table is gathered chunk by chunk and the hits summed. */
    private String gatherRows(String table, String idsFlat) {
        WeightStore.Weight wt = weight(table);
        if (!wt.split()) return g.gather(wt.single().name(), idsFlat, 0);
        String y = null;
        for (WeightStore.Chunk ch : wt.chunks()) {
            long a = ch.rowStart(), rows = ch.shape()[0];
            String local = g.sub(idsFlat, g.scalarLong(a));
            String inside = g.op("And", g.op("GreaterOrEqual", local, g.scalarLong(0)),
                    g.op("Less", local, g.scalarLong(rows)));
            String clipped = g.where(inside, local, g.scalarLong(0));
            String rowsOut = g.gather(ch.name(), clipped, 0);
            String part = g.where(g.unsqueeze(inside, 1), rowsOut, g.scalar(0f));
            y = y == null ? part : g.add(y, part);
        }
        return y;
    }

    // ---- embedding, norms, head -----------------------------------------------------------------

    private String embed(String idsFlat) {
        String x = gatherRows(f.embedName(), idsFlat);
        switch (f.kind()) {
            case GPT2 -> x = g.add(x, gatherRows("transformer.wpe.weight", g.reshape(positions, g.longs(-1))));
            case DECODER -> {
                if (f.gemmaNorm()) {
                    // transformers multiplies by sqrt(hidden) cast to the weights' dtype.
                    float s = (float) Math.sqrt(hidden);
                    DType dt = w.dtypeOf(f.embedName());
                    if (dt == DType.BF16) s = FloatConversions.bf16ToFloat(FloatConversions.floatToBf16(s));
                    if (dt == DType.F16) s = FloatConversions.f16ToFloat(FloatConversions.floatToF16(s));
                    x = g.mul(x, g.scalar(s));
                }
            }
            case NEOX -> { }
        }
        return x;
    }

    private String rmsNorm(String x, String wName) {
        String ms = g.reduceMean(g.mul(x, x), -1);
        String inv = g.reciprocal(g.sqrt(g.add(ms, g.scalar((float) c.normEps()))));
        String y = g.mul(x, inv);
        String wt = single(wName);
        return g.mul(y, f.gemmaNorm() ? g.add(wt, g.scalar(1f)) : wt);
    }

    private String layerNorm(String x, String prefix) {
        return g.layerNorm(x, single(prefix + ".weight"), single(prefix + ".bias"), (float) f.layerNormEps(c));
    }

    private String norm(String x, String prefix) {
        return f.kind() == ModelFamily.Kind.DECODER ? rmsNorm(x, prefix + ".weight") : layerNorm(x, prefix);
    }

    private String finalNorm(String x) { return norm(x, f.finalNormPrefix()); }

    private void logits(String normed) {
        String headName = c.tieWordEmbeddings() ? f.embedName() : f.headName();
        String x = normed;
        String outShape;
        if (spec.lastLogitsOnly()) {
            String x3 = g.reshape(x, g.concat(0, bt, g.longs(hidden)));
            x = g.reshape(g.slice(x3, 1, -1, Long.MAX_VALUE), g.longs(-1, hidden));
            outShape = g.concat(0, g.slice(bt, 0, 0, 1), g.longs(1, c.vocabSize()));
        } else {
            outShape = g.concat(0, bt, g.longs(c.vocabSize()));
        }
        String y = linear(x, headName, null);
        if (c.finalLogitSoftcapping().isPresent()) y = softcap(y, c.finalLogitSoftcapping().get());
        g.output("logits", g.reshape(y, outShape), FLOAT);
    }

    private String softcap(String x, double cap) {
        String cp = g.scalar((float) cap);
        return g.mul(g.tanh(g.div(x, cp)), cp);
    }

    private void capture(String name, String x2d) {
        String x3 = g.reshape(x2d, g.concat(0, bt, g.longs(hidden)));
        if (spec.lastK() > 0) x3 = g.slice(x3, 1, -spec.lastK(), Long.MAX_VALUE);
        g.output(name, x3, FLOAT);
    }

    // ---- interventions --------------------------------------------------------------------------

    /** x − (x·r̂) r̂ with the layer's direction (or each row's own), when the graph ablates; else x. */
    private String ablate(String x, int layer) {
        if (seqAblate != null) return ablatePerSequence(x);
        if (ablateDirs == null) return x;
        String row = g.gather(ablateDirs, g.longs(layer), 0);     // [1,h]
        String col = g.transpose(row, 1, 0);                         // [h,1]
        return g.sub(x, g.matmul(g.matmul(x, col), row));
    }

    /** Per-sequence ablation acts where {@link GraphSpec.Kind#ABLATE} does (module outputs). */
    private String ablateIf(String x, int layer, GraphSpec.Kind kind) {
        boolean here = spec.intervention() == kind
                || (kind == GraphSpec.Kind.ABLATE && spec.intervention() == GraphSpec.Kind.PER_SEQUENCE);
        return here ? ablate(x, layer) : x;
    }

    /**
     * The per-sequence inputs. Rows are matched to sequences by broadcasting over the [B, T, h] view of
     * the 2-D residual, so no per-token copy of the directions is made.
     */
    private void perSequenceInputs() {
        String dirs = g.input("seq_ablate_dirs", FLOAT, "batch", (long) hidden);
        seqAblate = g.unsqueeze(dirs, 1);
        seqAdd = g.input("seq_add_vecs", FLOAT, (long) layers, "batch", (long) hidden);
    }

    private String rows3(String x2d) { return g.reshape(x2d, g.concat(0, bt, g.longs(hidden))); }

    private String flat(String x3) { return g.reshape(x3, g.longs(-1, hidden)); }

    /**
     * Row b: x − (x·r̂_b) r̂_b. Elementwise with a sum over hidden rather than {@link #ablate}'s MatMuls:
     * a batched MatMul would be B tiny products, each a matrix-vector one.
     */
    private String ablatePerSequence(String x) {
        String x3 = rows3(x);
        String along = g.op("ReduceSum", List.of(OnnxGraphBuilder.attr("keepdims", 1L)), g.mul(x3, seqAblate), g.longs(-1));
        return flat(g.sub(x3, g.mul(along, seqAblate)));
    }

    private String addPerSequence(String x, int layer) {
        String v = g.unsqueeze(g.gather(seqAdd, g.scalarLong(layer), 0), 1);   // [B,1,h]
        return flat(g.add(rows3(x), v));
    }

    // ---- layers ------------------------------------------------------------------------------------

    private String decoderLayer(String x, int l) {
        String p = "model.layers." + l + ".";
        String a = decoderAttention(rmsNorm(x, p + "input_layernorm.weight"), l);
        a = ablateIf(a, l, GraphSpec.Kind.ABLATE);
        if (f.sandwichNorms()) {
            a = ablateIf(rmsNorm(a, p + "post_attention_layernorm.weight"), l, GraphSpec.Kind.ABLATE_POSTNORM);
        }
        x = g.add(x, a);
        String h = rmsNorm(x, p + (f.sandwichNorms() ? "pre_feedforward_layernorm.weight" : "post_attention_layernorm.weight"));
        String m = ablateIf(decoderMlp(h, l), l, GraphSpec.Kind.ABLATE);
        if (f.sandwichNorms()) {
            m = ablateIf(rmsNorm(m, p + "post_feedforward_layernorm.weight"), l, GraphSpec.Kind.ABLATE_POSTNORM);
        }
        return g.add(x, m);
    }

    private String gpt2Layer(String x, int l) {
        String p = "transformer.h." + l + ".";
        String h = layerNorm(x, p + "ln_1");
        String qkv = conv1d(h, p + "attn.c_attn.weight", p + "attn.c_attn.bias");
        String q = heads4(g.slice(qkv, 1, 0, hidden), heads);
        String k = heads4(g.slice(qkv, 1, hidden, 2L * hidden), heads);
        String v = heads4(g.slice(qkv, 1, 2L * hidden, 3L * hidden), heads);
        double scale = 1.0 / Math.sqrt(headDim);
        if (c.raw().path("scale_attn_by_inverse_layer_idx").asBoolean(false)) scale /= (l + 1);
        String att = attend(g.transpose(q, 0, 2, 1, 3), g.transpose(k, 0, 2, 1, 3), g.transpose(v, 0, 2, 1, 3), l,
                scale, fullBias);
        String a = ablate(conv1d(att, p + "attn.c_proj.weight", p + "attn.c_proj.bias"), l);
        x = g.add(a, x);
        h = layerNorm(x, p + "ln_2");
        String m = Activations.apply(g, f.activation(c, dir), conv1d(h, p + "mlp.c_fc.weight", p + "mlp.c_fc.bias"));
        m = ablate(conv1d(m, p + "mlp.c_proj.weight", p + "mlp.c_proj.bias"), l);
        return g.add(x, m);
    }

    private String neoxLayer(String x, int l) {
        String p = "gpt_neox.layers." + l + ".";
        String h = layerNorm(x, p + "input_layernorm");
        String qkv = linear(h, p + "attention.query_key_value.weight", p + "attention.query_key_value.bias");
        // Per head the fused output holds [q | k | v], each head_dim wide.
        String qkv4 = g.reshape(qkv, g.concat(0, bt, g.longs(heads, 3L * headDim)));
        String q = g.transpose(g.slice(qkv4, -1, 0, headDim), 0, 2, 1, 3);
        String k = g.transpose(g.slice(qkv4, -1, headDim, 2L * headDim), 0, 2, 1, 3);
        String v = g.transpose(g.slice(qkv4, -1, 2L * headDim, 3L * headDim), 0, 2, 1, 3);
        String att = attend(applyRotary(q), applyRotary(k), v, l, 1.0 / Math.sqrt(headDim), fullBias);
        String a = ablate(linear(att, p + "attention.dense.weight", p + "attention.dense.bias"), l);
        String act = f.activation(c, dir);
        if (c.useParallelResidual()) {
            String m = neoxMlp(layerNorm(x, p + "post_attention_layernorm"), p, act);
            m = ablate(m, l);
            return g.add(g.add(m, a), x);
        }
        x = g.add(a, x);
        String m = ablate(neoxMlp(layerNorm(x, p + "post_attention_layernorm"), p, act), l);
        return g.add(m, x);
    }

    private String neoxMlp(String h, String p, String act) {
        String up = linear(h, p + "mlp.dense_h_to_4h.weight", p + "mlp.dense_h_to_4h.bias");
        return linear(Activations.apply(g, act, up), p + "mlp.dense_4h_to_h.weight", p + "mlp.dense_4h_to_h.bias");
    }

    // ---- attention ---------------------------------------------------------------------------------

    /** [N, n·hd] → [B, T, n, hd]. */
    private String heads4(String x, int n) {
        return g.reshape(x, g.concat(0, bt, g.longs(n, headDim)));
    }

    private String decoderAttention(String h, int l) {
        String p = "model.layers." + l + ".self_attn.";
        long qDim = (long) heads * headDim, kvDim = (long) kvHeads * headDim;
        String q, k, v;
        if (w.has(p + "qkv_proj.weight")) {
            String qkv = linear(h, p + "qkv_proj.weight", p + "qkv_proj.bias");
            q = g.slice(qkv, 1, 0, qDim);
            k = g.slice(qkv, 1, qDim, qDim + kvDim);
            v = g.slice(qkv, 1, qDim + kvDim, qDim + 2 * kvDim);
        } else {
            q = linear(h, p + "q_proj.weight", p + "q_proj.bias");
            k = linear(h, p + "k_proj.weight", p + "k_proj.bias");
            v = linear(h, p + "v_proj.weight", p + "v_proj.bias");
        }
        String q4 = heads4(q, heads), k4 = heads4(k, kvHeads), v4 = heads4(v, kvHeads);
        if (w.has(p + "q_norm.weight")) {
            q4 = rmsNorm(q4, p + "q_norm.weight");
            k4 = rmsNorm(k4, p + "k_norm.weight");
        }
        String qh = applyRotary(g.transpose(q4, 0, 2, 1, 3));
        String kh = applyRotary(g.transpose(k4, 0, 2, 1, 3));
        String vh = g.transpose(v4, 0, 2, 1, 3);
        double scale = c.queryPreAttnScalar().map(s -> 1.0 / Math.sqrt(s)).orElse(1.0 / Math.sqrt(headDim));
        String att = attend(qh, kh, vh, l, scale, f.sliding(c, l) ? slidingBias : fullBias);
        return linear(att, p + "o_proj.weight", p + "o_proj.bias");
    }

    /**
     * Eager attention on [B, heads, T, hd] queries and [B, kvHeads, T, hd] keys/values. Grouped
     * queries are laid out [B, kv, group, T, hd] so that MatMul broadcasts each key head over its
     * group: query head h reads key head h / group, as transformers' repeat_kv does, without a copy.
     */
    private String attend(String q, String k, String v, int l, double scale, String maskBias) {
        if (spec.cache()) {
            String pk = g.input("past_key_" + l, FLOAT, "batch", (long) kvHeads, "past", (long) headDim);
            String pv = g.input("past_value_" + l, FLOAT, "batch", (long) kvHeads, "past", (long) headDim);
            k = g.concat(2, pk, k);
            v = g.concat(2, pv, v);
            g.output("present_key_" + l, k, FLOAT);
            g.output("present_value_" + l, v, FLOAT);
        }
        int group = heads / kvHeads;
        String q5 = g.reshape(q, g.longs(0, kvHeads, group, -1, headDim));
        String kT = g.transpose(g.unsqueeze(k, 2), 0, 1, 2, 4, 3);
        String scores = g.mul(g.matmul(q5, kT), g.scalar((float) scale));
        if (c.attnLogitSoftcapping().isPresent()) scores = softcap(scores, c.attnLogitSoftcapping().get());
        scores = g.add(scores, maskBias);
        String probs = g.softmax(scores, -1);
        String out = g.matmul(probs, g.unsqueeze(v, 2));                       // [B,kv,group,T,hd]
        out = g.transpose(g.reshape(out, g.longs(0, heads, -1, headDim)), 0, 2, 1, 3);
        return g.reshape(out, g.longs(-1, (long) heads * headDim));
    }

    // ---- MLPs ----------------------------------------------------------------------------------------

    private String decoderMlp(String h, int l) {
        String p = "model.layers." + l + ".";
        String act = f.activation(c, dir);
        var moe = MoeBlock.detect(c, w, l, dir);
        if (moe.isPresent()) return MoeBlock.build(g, this::linear, act, moe.get(), h);
        String gate, up;
        if (w.has(p + "mlp.gate_up_proj.weight")) {
            String gu = linear(h, p + "mlp.gate_up_proj.weight", null);
            long im = w.shapeOf(p + "mlp.gate_up_proj.weight")[0] / 2;
            gate = g.slice(gu, 1, 0, im);
            up = g.slice(gu, 1, im, 2 * im);
        } else {
            gate = linear(h, p + "mlp.gate_proj.weight", null);
            up = linear(h, p + "mlp.up_proj.weight", null);
        }
        return linear(g.mul(Activations.apply(g, act, gate), up), p + "mlp.down_proj.weight", null);
    }
}
