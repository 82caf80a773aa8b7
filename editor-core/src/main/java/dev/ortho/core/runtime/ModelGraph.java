package dev.ortho.core.runtime;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.ortho.core.arch.RuntimeSpec;
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
    private String localCos, localSin;   // sliding layers' own rope (Gemma 3), else null
    private String positions;   // [B,T] int64
    private String ablateDirs;            // [layers, k, h]: each layer's orthonormal basis
    private String ablateAlpha;           // [layers, 3]: strength at the layer input, attention output, MLP output
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
        this.kvHeads = f.kind() == RuntimeSpec.Block.GPT2 ? c.numHeads() : c.numKvHeads();
        this.headDim = f.kind() == RuntimeSpec.Block.GPT2 ? c.hiddenSize() / c.numHeads() : c.headDim();
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
            ablateDirs = g.input("ablate_dirs", FLOAT, (long) layers, "k", (long) hidden);
            ablateAlpha = g.input("ablate_alpha", FLOAT, (long) layers, 3L);
        }
        String actAdd = spec.intervention() == GraphSpec.Kind.ACTADD ? g.input("actadd_vec", FLOAT, (long) hidden) : null;
        if (spec.intervention() == GraphSpec.Kind.PER_SEQUENCE) perSequenceInputs();

        String x = embed(g.reshape(ids, g.longs(-1)));
        for (int l = 0; l < layers; l++) {
            if (spec.captureResiduals()) capture("resid_" + l, x);
            if (actAdd != null && l == spec.actAddLayer()) x = g.add(x, actAdd);
            if (seqAdd != null) x = addPerSequence(x, l);
            x = ablate(x, l, INPUT);
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
        Rope.slidingLayers(c, f.spec().localRopeTheta(), dir).ifPresent(local -> {
            float[] li = local.invFreq();
            String lf = g.mul(posF, g.constFloat(li, li.length));
            String le = g.unsqueeze(g.concat(-1, lf, lf), 1);
            localCos = g.cos(le);
            localSin = g.sin(le);
        });
    }

    /** q·cos + rotate_half(q)·sin on the first rotaryDim dimensions; the rest pass through. */
    private String applyRotary(String x) { return applyRotary(x, cos, sin); }

    /** With layer l's rope: a sliding layer's own when the model has one. */
    private String applyRotary(String x, int l) {
        return localCos != null && f.sliding(c, l) ? applyRotary(x, localCos, localSin) : applyRotary(x, cos, sin);
    }

    private String applyRotary(String x, String cos, String sin) {
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
        int type = w.elemType(name);
        for (WeightStore.Chunk ch : wt.chunks()) {
            if (!declared.add(ch.name())) continue;
            if (binding == WeightBinding.FEED) {
                Object[] dims = new Object[ch.shape().length];
                for (int i = 0; i < dims.length; i++) dims[i] = ch.shape()[i];
                g.input(ch.name(), type, dims);
            } else {
                g.boundInitializer(ch.name(), FLOAT, ch.shape());
            }
        }
        return wt;
    }

    /**
     * A weight chunk as a float32 value: the input itself, or a Cast of its BF16/F16 bytes made right
     * where it is used, so the float32 copy lives only until its consumer has run (see WeightStore).
     */
    private String f32(String weightName, String chunk) {
        return w.elemType(weightName) == FLOAT ? chunk : g.cast(chunk, FLOAT);
    }

    /**
     * As {@link #f32(String, String)} for a matrix multiplied with {@code x}, its Cast made to wait for
     * {@code after} (x, or the previous chunk's product).
     * ONNX Runtime's order runs every node whose inputs are ready as early as it can, and a cast of a
     * graph input is ready at once: without the dependency all casts of the model ran before the first
     * Gemm (measured: 4.3 GiB of float32 weights alive at once on a 3.5 GiB BF16 model). The dependency
     * is a Reshape of the weight to its own shape plus 0·Shape(after)[0], which reads a shape only and
     * returns the weight's buffer (Reshape aliases its input).
     */
    private String f32After(String weightName, WeightStore.Chunk ch, String after) {
        if (w.elemType(weightName) == FLOAT) return ch.name();
        String zero = g.mul(g.shape(after, 0, 1), g.scalarLong(0));
        String gated = g.reshape(ch.name(), g.add(g.longs(ch.shape()), zero));
        return g.cast(gated, FLOAT);
    }

    private String single(String name) { return f32(name, weight(name).single().name()); }

    /** nn.Linear: x·Wᵀ + b with W stored [out, in]; a split W gives column blocks of the output. */
    private String linear(String x, String wName, String bName) {
        WeightStore.Weight wt = weight(wName);
        String b = bName != null && w.has(bName) ? single(bName) : null;
        if (!wt.split()) return g.gemm(x, f32After(wName, wt.single(), x), b, true);
        List<String> parts = new ArrayList<>();
        // Each chunk's cast waits for the previous chunk's product: one float32 chunk alive at a time.
        for (WeightStore.Chunk ch : wt.chunks()) {
            parts.add(g.gemm(x, f32After(wName, ch, parts.isEmpty() ? x : parts.getLast()), null, true));
        }
        String y = g.concat(1, parts);
        return b == null ? y : g.add(y, b);
    }

    /** GPT-2 Conv1D: x·W + b with W stored [in, out]; a split W gives partial sums over input blocks. */
    private String conv1d(String x, String wName, String bName) {
        WeightStore.Weight wt = weight(wName);
        String b = bName != null && w.has(bName) ? single(bName) : null;
        if (!wt.split()) return g.gemm(x, f32After(wName, wt.single(), x), b, false);
        String y = null;
        for (WeightStore.Chunk ch : wt.chunks()) {
            String xs = g.slice(x, 1, ch.rowStart(), ch.rowStart() + ch.shape()[0]);
            String part = g.gemm(xs, f32After(wName, ch, y == null ? xs : y), null, false);
            y = y == null ? part : g.add(y, part);
        }
        return b == null ? y : g.add(y, b);
    }

    /**
     * Embedding rows for flat ids, as float32; a split table is gathered chunk by chunk and the hits
     * summed. A BF16/F16 table is gathered in its stored type and only the gathered rows are cast.
     */
    private String gatherRows(String table, String idsFlat) {
        WeightStore.Weight wt = weight(table);
        if (!wt.split()) return f32(table, g.gather(wt.single().name(), idsFlat, 0));
        String y = null;
        for (WeightStore.Chunk ch : wt.chunks()) {
            long a = ch.rowStart(), rows = ch.shape()[0];
            String local = g.sub(idsFlat, g.scalarLong(a));
            String inside = g.op("And", g.op("GreaterOrEqual", local, g.scalarLong(0)),
                    g.op("Less", local, g.scalarLong(rows)));
            String clipped = g.where(inside, local, g.scalarLong(0));
            String rowsOut = f32(table, g.gather(ch.name(), clipped, 0));
            String part = g.where(g.unsqueeze(inside, 1), rowsOut, g.scalar(0f));
            y = y == null ? part : g.add(y, part);
        }
        return y;
    }

    // ---- embedding, norms, head -----------------------------------------------------------------

    private String embed(String idsFlat) {
        String x = gatherRows(f.embedName(), idsFlat);
        switch (f.kind()) {
            case GPT2 -> x = g.add(x, gatherRows(f.spec().positionEmbedding().orElseThrow(),
                    g.reshape(positions, g.longs(-1))));
            case DECODER -> {
                if (f.spec().embeddingScale()) {
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
        return f.spec().norm() == RuntimeSpec.Norm.LAYER ? layerNorm(x, prefix) : rmsNorm(x, prefix + ".weight");
    }

    private String finalNorm(String x) { return norm(x, f.finalNormPrefix()); }

    private void logits(String normed) {
        String headName = f.tied(c) ? f.embedName() : f.headName();
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

    /** Ablation sites, the columns of {@code ablate_alpha}. */
    private static final int INPUT = 0, ATTN = 1, MLP = 2;

    /**
     * x − a·(x Qᵀ) Q with the layer's basis Q [k,h] and the site's strength a (or each row's own
     * direction), when the graph ablates; else x. With k = 1 the products are the former x·r̂ᵀ and
     * (·) r̂, and a = 1 multiplies exactly, so the paper's ablation gives the same numbers as before.
     */
    private String ablate(String x, int layer, int site) {
        if (seqAblate != null) return ablatePerSequence(x);
        if (ablateDirs == null) return x;
        String q = g.gather(ablateDirs, g.scalarLong(layer), 0);   // [k,h]
        String qt = g.transpose(q, 1, 0);                             // [h,k]
        String a = g.gather(g.gather(ablateAlpha, g.scalarLong(layer), 0), g.scalarLong(site), 0);   // scalar
        return g.sub(x, g.mul(g.matmul(g.matmul(x, qt), q), a));
    }

    /** Per-sequence ablation acts where {@link GraphSpec.Kind#ABLATE} does (module outputs). */
    private String ablateIf(String x, int layer, int site, GraphSpec.Kind kind) {
        boolean here = spec.intervention() == kind
                || (kind == GraphSpec.Kind.ABLATE && spec.intervention() == GraphSpec.Kind.PER_SEQUENCE);
        return here ? ablate(x, layer, site) : x;
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
        String a = decoderAttention(norm(x, f.t(l, "attn_norm")), l);
        a = ablateIf(a, l, ATTN, GraphSpec.Kind.ABLATE);
        if (f.sandwichNorms()) {
            a = ablateIf(norm(a, f.t(l, "post_attn_norm")), l, ATTN, GraphSpec.Kind.ABLATE_POSTNORM);
        }
        x = g.add(x, a);
        String h = norm(x, f.t(l, "mlp_norm"));
        String m = ablateIf(decoderMlp(h, l), l, MLP, GraphSpec.Kind.ABLATE);
        if (f.sandwichNorms()) {
            m = ablateIf(norm(m, f.t(l, "post_mlp_norm")), l, MLP, GraphSpec.Kind.ABLATE_POSTNORM);
        }
        return g.add(x, m);
    }

    private String gpt2Layer(String x, int l) {
        String h = norm(x, f.t(l, "attn_norm"));
        String qkv = conv1d(h, f.t(l, "qkv") + ".weight", f.t(l, "qkv") + ".bias");
        String q = heads4(g.slice(qkv, 1, 0, hidden), heads);
        String k = heads4(g.slice(qkv, 1, hidden, 2L * hidden), heads);
        String v = heads4(g.slice(qkv, 1, 2L * hidden, 3L * hidden), heads);
        double scale = 1.0 / Math.sqrt(headDim);
        if (c.raw().path("scale_attn_by_inverse_layer_idx").asBoolean(false)) scale /= (l + 1);
        String att = attend(g.transpose(q, 0, 2, 1, 3), g.transpose(k, 0, 2, 1, 3), g.transpose(v, 0, 2, 1, 3), l,
                scale, fullBias);
        String a = ablate(conv1d(att, f.t(l, "o") + ".weight", f.t(l, "o") + ".bias"), l, ATTN);
        x = g.add(a, x);
        h = norm(x, f.t(l, "mlp_norm"));
        String m = Activations.apply(g, f.activation(c, dir), conv1d(h, f.t(l, "up") + ".weight", f.t(l, "up") + ".bias"));
        m = ablate(conv1d(m, f.t(l, "down") + ".weight", f.t(l, "down") + ".bias"), l, MLP);
        return g.add(x, m);
    }

    private String neoxLayer(String x, int l) {
        String h = norm(x, f.t(l, "attn_norm"));
        String qkv = linear(h, f.t(l, "qkv") + ".weight", f.t(l, "qkv") + ".bias");
        // Per head the fused output holds [q | k | v], each head_dim wide.
        String qkv4 = g.reshape(qkv, g.concat(0, bt, g.longs(heads, 3L * headDim)));
        String q = g.transpose(g.slice(qkv4, -1, 0, headDim), 0, 2, 1, 3);
        String k = g.transpose(g.slice(qkv4, -1, headDim, 2L * headDim), 0, 2, 1, 3);
        String v = g.transpose(g.slice(qkv4, -1, 2L * headDim, 3L * headDim), 0, 2, 1, 3);
        String att = attend(applyRotary(q), applyRotary(k), v, l, 1.0 / Math.sqrt(headDim), fullBias);
        String a = ablate(linear(att, f.t(l, "o") + ".weight", f.t(l, "o") + ".bias"), l, ATTN);
        String act = f.activation(c, dir);
        if (c.useParallelResidual()) {
            String m = neoxMlp(norm(x, f.t(l, "mlp_norm")), l, act);
            m = ablate(m, l, MLP);
            return g.add(g.add(m, a), x);
        }
        x = g.add(a, x);
        String m = ablate(neoxMlp(norm(x, f.t(l, "mlp_norm")), l, act), l, MLP);
        return g.add(m, x);
    }

    private String neoxMlp(String h, int l, String act) {
        String up = linear(h, f.t(l, "up") + ".weight", f.t(l, "up") + ".bias");
        return linear(Activations.apply(g, act, up), f.t(l, "down") + ".weight", f.t(l, "down") + ".bias");
    }

    // ---- attention ---------------------------------------------------------------------------------

    /** [N, n·hd] → [B, T, n, hd]. */
    private String heads4(String x, int n) {
        return g.reshape(x, g.concat(0, bt, g.longs(n, headDim)));
    }

    private String decoderAttention(String h, int l) {
        long qDim = (long) heads * headDim, kvDim = (long) kvHeads * headDim;
        String q, k, v;
        String fused = f.t(l, "qkv");
        if (fused != null && w.has(fused + ".weight")) {
            String qkv = linear(h, fused + ".weight", fused + ".bias");
            q = g.slice(qkv, 1, 0, qDim);
            k = g.slice(qkv, 1, qDim, qDim + kvDim);
            v = g.slice(qkv, 1, qDim + kvDim, qDim + 2 * kvDim);
        } else {
            q = linear(h, f.t(l, "q") + ".weight", f.t(l, "q") + ".bias");
            k = linear(h, f.t(l, "k") + ".weight", f.t(l, "k") + ".bias");
            v = linear(h, f.t(l, "v") + ".weight", f.t(l, "v") + ".bias");
        }
        String q4 = heads4(q, heads), k4 = heads4(k, kvHeads), v4 = heads4(v, kvHeads);
        String qNorm = f.t(l, "q_norm");
        if (qNorm != null && w.has(qNorm + ".weight")) {
            q4 = rmsNorm(q4, qNorm + ".weight");
            k4 = rmsNorm(k4, f.t(l, "k_norm") + ".weight");
        }
        String qh = applyRotary(g.transpose(q4, 0, 2, 1, 3), l);
        String kh = applyRotary(g.transpose(k4, 0, 2, 1, 3), l);
        String vh = g.transpose(v4, 0, 2, 1, 3);
        double scale = c.queryPreAttnScalar().map(s -> 1.0 / Math.sqrt(s)).orElse(1.0 / Math.sqrt(headDim));
        String sinks = f.t(l, "sinks") != null ? single(f.t(l, "sinks")) : null;
        String att = attend(qh, kh, vh, l, scale, f.sliding(c, l) ? slidingBias : fullBias, sinks);
        return linear(att, f.t(l, "o") + ".weight", f.t(l, "o") + ".bias");
    }

    /**
     * Eager attention on [B, heads, T, hd] queries and [B, kvHeads, T, hd] keys/values. Grouped
     * queries are laid out [B, kv, group, T, hd] so that MatMul broadcasts each key head over its
     * group: query head h reads key head h / group, as transformers' repeat_kv does, without a copy.
     */
    private String attend(String q, String k, String v, int l, double scale, String maskBias) {
        return attend(q, k, v, l, scale, maskBias, null);
    }

    /**
     * @param sinks per-head sink logits [heads] (gpt-oss) joining each softmax as an extra column that
     *              is then dropped, so a query's probabilities sum to less than 1; null for none
     */
    private String attend(String q, String k, String v, int l, double scale, String maskBias, String sinks) {
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
        String probs;
        if (sinks == null) {
            probs = g.softmax(scores, -1);
        } else {
            // [B,kv,group,T,1] of each head's sink (query head h = kv*group + j, as the score layout).
            String column = g.add(g.mul(g.slice(scores, -1, 0, 1), g.scalar(0f)),
                    g.reshape(sinks, g.longs(1, kvHeads, group, 1, 1)));
            probs = g.slice(g.softmax(g.concat(-1, scores, column), -1), -1, 0, -1);
        }
        String out = g.matmul(probs, g.unsqueeze(v, 2));                       // [B,kv,group,T,hd]
        out = g.transpose(g.reshape(out, g.longs(0, heads, -1, headDim)), 0, 2, 1, 3);
        return g.reshape(out, g.longs(-1, (long) heads * headDim));
    }

    // ---- MLPs ----------------------------------------------------------------------------------------

    private String decoderMlp(String h, int l) {
        String act = f.activation(c, dir);
        var moe = MoeBlock.detect(c, f, w, l, dir);
        if (moe.isPresent()) return MoeBlock.build(g, moeWeights(), act, moe.get(), h);
        String gate, up;
        String fused = f.t(l, "gate_up");
        if (fused != null && w.has(fused + ".weight")) {
            String gu = linear(h, fused + ".weight", null);
            long im = w.shapeOf(fused + ".weight")[0] / 2;
            gate = g.slice(gu, 1, 0, im);
            up = g.slice(gu, 1, im, 2 * im);
        } else {
            gate = linear(h, f.t(l, "gate") + ".weight", null);
            up = linear(h, f.t(l, "up") + ".weight", null);
        }
        return linear(g.mul(Activations.apply(g, act, gate), up), f.t(l, "down") + ".weight", null);
    }

    /** The graph's weight access for {@link MoeBlock}: binding and chunking stay here. */
    private MoeBlock.Weights moeWeights() {
        return new MoeBlock.Weights() {
            @Override public String linear(String x, String weight, String bias) { return ModelGraph.this.linear(x, weight, bias); }

            @Override public String matmul(String x, String weight, String bias) { return conv1d(x, weight, bias); }

            @Override public String tensor(String name) { return single(name); }
        };
    }
}
