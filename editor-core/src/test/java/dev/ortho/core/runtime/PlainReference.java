package dev.ortho.core.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ortho.formats.checkpoint.Checkpoint;
import dev.ortho.formats.config.ModelConfig;
import dev.ortho.formats.safetensors.DType;
import dev.ortho.formats.safetensors.FloatConversions;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * An independent float64 forward pass in plain Java for what has no golden data: Qwen3, GPT-NeoX,
 * Qwen3-MoE, Phi-3 with LongRoPE (and Llama/Mistral: sliding window on every layer, every rope type;
 * Mixtral, Qwen2-MoE), written loop by loop from the transformers modeling code and reading the raw
 * config.json itself. Slow and simple on purpose: it shares no code with the ONNX graph.
 */
final class PlainReference {

    private final Checkpoint ck;
    private final ModelConfig c;
    private final boolean neox;
    private final JsonNode raw;
    private double[] invFreq;
    private double attentionScaling = 1;

    private PlainReference(Path dir) {
        this.ck = Checkpoint.open(dir);
        Path file = dir.resolve("config.json");
        ModelConfig read = ModelConfig.read(file);
        // The architecture's config class reading of rope (Phi-3's aliases and default original length).
        this.c = read.withRopeRules(dev.ortho.core.arch.ArchChoice.detect().resolve(read.modelType(), read.architectures(), file)
                .runtime().map(dev.ortho.core.arch.RuntimeSpec::rope).orElse(dev.ortho.formats.config.RopeRules.NONE), file);
        this.neox = c.modelType().equals("gpt_neox");
        this.raw = c.raw();
    }

    /** Logits [T][vocab] of one sequence at positions 0..T-1. */
    static double[][] logits(Path dir, int[] ids) {
        PlainReference r = new PlainReference(dir);
        try {
            return r.run(ids);
        } finally {
            r.ck.close();
        }
    }

    /** The tensor as float64, from its stored F32, BF16 or F16 bytes. */
    private double[] t(String name) {
        var ref = ck.tensor(name);
        MemorySegment s = ref.data();
        DType dt = ref.info().dtype();
        int n = (int) ref.info().elementCount();
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = switch (dt) {
                case F32 -> s.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i);
                case BF16 -> FloatConversions.bf16ToFloat(s.getAtIndex(LE_SHORT, i));
                case F16 -> FloatConversions.f16ToFloat(s.getAtIndex(LE_SHORT, i));
                default -> throw new IllegalStateException(name + " is " + dt);
            };
        }
        return out;
    }

    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** y = W x (+ b), W [out, in]. */
    private static double[] lin(double[] w, double[] b, double[] x, int out) {
        int in = x.length;
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double s = b == null ? 0 : b[o];
            for (int i = 0; i < in; i++) s += w[o * in + i] * x[i];
            y[o] = s;
        }
        return y;
    }

    private static double[] rms(double[] x, int off, int n, double[] w, double eps) {
        double ms = 0;
        for (int i = 0; i < n; i++) ms += x[off + i] * x[off + i];
        double inv = 1 / Math.sqrt(ms / n + eps);
        double[] y = new double[n];
        for (int i = 0; i < n; i++) y[i] = x[off + i] * inv * w[i];
        return y;
    }

    private static double[] ln(double[] x, double[] w, double[] b, double eps) {
        int n = x.length;
        double mean = 0, var = 0;
        for (double v : x) mean += v;
        mean /= n;
        for (double v : x) var += (v - mean) * (v - mean);
        var /= n;
        double[] y = new double[n];
        for (int i = 0; i < n; i++) y[i] = (x[i] - mean) / Math.sqrt(var + eps) * w[i] + b[i];
        return y;
    }

    /** rotate_half rotary on the first rd dims of a head vector at position pos; cos and sin scaled. */
    private void rope(double[] v, int off, int pos) {
        int rd = (int) (c.headDim() * c.partialRotaryFactor());
        double[] orig = new double[rd];
        System.arraycopy(v, off, orig, 0, rd);
        for (int i = 0; i < rd; i++) {
            double a = pos * invFreq[i % (rd / 2)];
            double rot = i < rd / 2 ? -orig[i + rd / 2] : orig[i - rd / 2];
            v[off + i] = (orig[i] * Math.cos(a) + rot * Math.sin(a)) * attentionScaling;
        }
    }

    /**
     * Frequencies of a sequence of length T from the raw config, in float64, after the formulas of
     * transformers' modeling_rope_utils (rope_parameters or legacy rope_scaling with rope_type/type).
     */
    private void frequencies(int T) {
        int rd = (int) (c.headDim() * c.partialRotaryFactor());
        JsonNode rp = raw.get("rope_parameters");
        if (rp == null || !rp.has("rope_type")) rp = raw.get("rope_scaling");
        String type = rp == null || rp.isNull() ? "default" : rp.has("rope_type") ? rp.get("rope_type").asText() : rp.path("type").asText("default");
        double theta = rp != null && rp.has("rope_theta") ? rp.get("rope_theta").asDouble() : raw.path("rope_theta").asDouble(10000);
        double factor = rp == null ? 1 : rp.path("factor").asDouble(1);
        int maxPos = raw.path("max_position_embeddings").asInt();
        double omax = raw.has("original_max_position_embeddings") ? raw.get("original_max_position_embeddings").asDouble()
                : rp == null ? maxPos : rp.path("original_max_position_embeddings").asDouble(maxPos);
        if (type.equals("dynamic") && T > maxPos) theta *= Math.pow(factor * T / maxPos - (factor - 1), (double) rd / (rd - 2));
        invFreq = new double[rd / 2];
        for (int k = 0; k < rd / 2; k++) invFreq[k] = 1 / Math.pow(theta, 2.0 * k / rd);
        switch (type) {
            case "linear" -> { for (int k = 0; k < rd / 2; k++) invFreq[k] /= factor; }
            case "llama3" -> {
                double low = rp.get("low_freq_factor").asDouble(), high = rp.get("high_freq_factor").asDouble();
                for (int k = 0; k < rd / 2; k++) {
                    double f = invFreq[k], wl = 2 * Math.PI / f;
                    if (wl > omax / low) invFreq[k] = f / factor;
                    else if (wl >= omax / high) {
                        double sm = (omax / wl - low) / (high - low);
                        invFreq[k] = (1 - sm) * f / factor + sm * f;
                    }
                }
            }
            case "yarn" -> {
                double lo = rd * Math.log(omax / (rp.path("beta_fast").asDouble(32) * 2 * Math.PI)) / (2 * Math.log(theta));
                double hi = rd * Math.log(omax / (rp.path("beta_slow").asDouble(1) * 2 * Math.PI)) / (2 * Math.log(theta));
                if (rp.path("truncate").asBoolean(true)) { lo = Math.floor(lo); hi = Math.ceil(hi); }
                lo = Math.max(lo, 0);
                hi = Math.min(hi, rd - 1);
                if (lo == hi) hi += 0.001;
                for (int k = 0; k < rd / 2; k++) {
                    double ramp = Math.min(1, Math.max(0, (k - lo) / (hi - lo)));
                    invFreq[k] = ramp * invFreq[k] / factor + (1 - ramp) * invFreq[k];
                }
                attentionScaling = rp.has("attention_factor") ? rp.get("attention_factor").asDouble() : 0.1 * Math.log(factor) + 1;
            }
            case "longrope" -> {
                JsonNode ext = rp.get(T > omax ? "long_factor" : "short_factor");
                for (int k = 0; k < rd / 2; k++) invFreq[k] /= ext.get(k).asDouble();
                double f = rp.has("factor") ? factor : maxPos / omax;
                attentionScaling = rp.has("attention_factor") ? rp.get("attention_factor").asDouble()
                        : f <= 1 ? 1 : Math.sqrt(1 + Math.log(f) / Math.log(omax));
            }
            default -> { }
        }
    }

    private double[] tOrNull(String name) { return ck.find(name).isPresent() ? t(name) : null; }

    private static double[] silu(double[] g) {
        double[] o = new double[g.length];
        for (int i = 0; i < g.length; i++) o[i] = g[i] / (1 + Math.exp(-g[i]));
        return o;
    }

    /** silu(gate)·up → down, with gate/up/down as [I,H]/[I,H]/[H,I] row-major arrays. */
    private static double[] swiglu(double[] gate, double[] up, double[] down, double[] x, int im, int h) {
        double[] g = silu(lin(gate, null, x, im)), u = lin(up, null, x, im);
        for (int i = 0; i < im; i++) g[i] *= u[i];
        return lin(down, null, g, h);
    }

    /** Rows [from, from + n) of a row-major matrix with the given row length. */
    private static double[] rows(double[] w, int from, int n, int rowLen) {
        return java.util.Arrays.copyOfRange(w, from * rowLen, (from + n) * rowLen);
    }

    /** transformers' Qwen MoE rule: sparse unless in mlp_only_layers, every decoder_sparse_step-th layer. */
    private boolean sparse(int l) {
        for (JsonNode n : raw.path("mlp_only_layers")) if (n.asInt() == l) return false;
        int experts = raw.path("num_local_experts").asInt(raw.path("num_experts").asInt(0));
        return experts > 0 && (l + 1) % raw.path("decoder_sparse_step").asInt(1) == 0;
    }

    /** The decoder MLP of layer l: dense SwiGLU (Phi-3 fused gate|up), or a routed mixture of experts. */
    private double[] mlp(String pre, int l, double[] x) {
        int h = c.hiddenSize();
        String router = pre + "block_sparse_moe.gate.weight";
        boolean mixtralNames = ck.find(router).isPresent();
        if (!mixtralNames && !sparse(l)) {
            double[] gu = tOrNull(pre + "mlp.gate_up_proj.weight");
            if (gu != null) {
                int im = gu.length / h / 2;
                return swiglu(rows(gu, 0, im, h), rows(gu, im, im, h), t(pre + "mlp.down_proj.weight"), x, im, h);
            }
            double[] gate = t(pre + "mlp.gate_proj.weight");
            return swiglu(gate, t(pre + "mlp.up_proj.weight"), t(pre + "mlp.down_proj.weight"), x, gate.length / h, h);
        }
        if (!mixtralNames) router = pre + "mlp.gate.weight";
        double[] rw = t(router);
        int experts = rw.length / h;
        double[] logits = lin(rw, null, x, experts);
        double max = Double.NEGATIVE_INFINITY, z = 0;
        for (double v : logits) max = Math.max(max, v);
        double[] p = new double[experts];
        for (int e = 0; e < experts; e++) z += p[e] = Math.exp(logits[e] - max);
        for (int e = 0; e < experts; e++) p[e] /= z;
        Integer[] order = new Integer[experts];
        for (int e = 0; e < experts; e++) order[e] = e;
        java.util.Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
        int k = raw.path("num_experts_per_tok").asInt();
        boolean norm = raw.has("norm_topk_prob") ? raw.get("norm_topk_prob").asBoolean() : c.modelType().equals("mixtral");
        double sum = 0;
        for (int j = 0; j < k; j++) sum += p[order[j]];
        double[] out = new double[h];
        double[] fusedGu = tOrNull(pre + "mlp.experts.gate_up_proj");
        for (int j = 0; j < k; j++) {
            int e = order[j];
            double wgt = norm ? p[e] / sum : p[e];
            double[] y;
            if (mixtralNames) {
                String xp = pre + "block_sparse_moe.experts." + e + ".";
                double[] w1 = t(xp + "w1.weight");
                y = swiglu(w1, t(xp + "w3.weight"), t(xp + "w2.weight"), x, w1.length / h, h);
            } else if (fusedGu != null) {
                double[] down = t(pre + "mlp.experts.down_proj");
                int im = down.length / experts / h;
                double[] gu = rows(fusedGu, e * 2 * im, 2 * im, h);
                y = swiglu(rows(gu, 0, im, h), rows(gu, im, im, h), rows(down, e * h, h, im), x, im, h);
            } else {
                String xp = pre + "mlp.experts." + e + ".";
                double[] gate = t(xp + "gate_proj.weight");
                y = swiglu(gate, t(xp + "up_proj.weight"), t(xp + "down_proj.weight"), x, gate.length / h, h);
            }
            for (int i = 0; i < h; i++) out[i] += wgt * y[i];
        }
        double[] sg = tOrNull(pre + "mlp.shared_expert.gate_proj.weight");
        if (sg != null) {
            String sp = pre + "mlp.shared_expert.";
            double[] y = swiglu(sg, t(sp + "up_proj.weight"), t(sp + "down_proj.weight"), x, sg.length / h, h);
            double gate = 1 / (1 + Math.exp(-lin(t(pre + "mlp.shared_expert_gate.weight"), null, x, 1)[0]));
            for (int i = 0; i < h; i++) out[i] += gate * y[i];
        }
        return out;
    }

    private double[][] run(int[] ids) {
        int h = c.hiddenSize(), heads = c.numHeads(), kvh = neox ? heads : c.numKvHeads(), hd = c.headDim();
        int T = ids.length, V = c.vocabSize();
        frequencies(T);
        double[] emb = t(neox ? "gpt_neox.embed_in.weight" : "model.embed_tokens.weight");
        double[][] x = new double[T][h];
        for (int p = 0; p < T; p++) System.arraycopy(emb, ids[p] * h, x[p], 0, h);
        double lnEps = c.raw().path("layer_norm_eps").asDouble(1e-5);
        for (int l = 0; l < c.numLayers(); l++) {
            String pre = neox ? "gpt_neox.layers." + l + "." : "model.layers." + l + ".";
            double[][] q = new double[T][], k = new double[T][], v = new double[T][], hIn = new double[T][];
            for (int p = 0; p < T; p++) {
                if (neox) {
                    hIn[p] = ln(x[p], t(pre + "input_layernorm.weight"), t(pre + "input_layernorm.bias"), lnEps);
                    double[] qkv = lin(t(pre + "attention.query_key_value.weight"), t(pre + "attention.query_key_value.bias"), hIn[p], 3 * h);
                    q[p] = new double[h]; k[p] = new double[h]; v[p] = new double[h];
                    for (int hh = 0; hh < heads; hh++) {
                        System.arraycopy(qkv, hh * 3 * hd, q[p], hh * hd, hd);
                        System.arraycopy(qkv, hh * 3 * hd + hd, k[p], hh * hd, hd);
                        System.arraycopy(qkv, hh * 3 * hd + 2 * hd, v[p], hh * hd, hd);
                    }
                } else {
                    hIn[p] = rms(x[p], 0, h, t(pre + "input_layernorm.weight"), c.normEps());
                    String a = pre + "self_attn.";
                    double[] qkv = tOrNull(a + "qkv_proj.weight");
                    if (qkv != null) {
                        double[] all = lin(qkv, null, hIn[p], (heads + 2 * kvh) * hd);
                        q[p] = java.util.Arrays.copyOfRange(all, 0, heads * hd);
                        k[p] = java.util.Arrays.copyOfRange(all, heads * hd, (heads + kvh) * hd);
                        v[p] = java.util.Arrays.copyOfRange(all, (heads + kvh) * hd, (heads + 2 * kvh) * hd);
                    } else {
                        q[p] = lin(t(a + "q_proj.weight"), tOrNull(a + "q_proj.bias"), hIn[p], heads * hd);
                        k[p] = lin(t(a + "k_proj.weight"), tOrNull(a + "k_proj.bias"), hIn[p], kvh * hd);
                        v[p] = lin(t(a + "v_proj.weight"), tOrNull(a + "v_proj.bias"), hIn[p], kvh * hd);
                    }
                    boolean qk = ck.find(a + "q_norm.weight").isPresent();
                    for (int hh = 0; qk && hh < heads; hh++) System.arraycopy(rms(q[p], hh * hd, hd, t(a + "q_norm.weight"), c.normEps()), 0, q[p], hh * hd, hd);
                    for (int hh = 0; qk && hh < kvh; hh++) System.arraycopy(rms(k[p], hh * hd, hd, t(a + "k_norm.weight"), c.normEps()), 0, k[p], hh * hd, hd);
                }
                for (int hh = 0; hh < heads; hh++) rope(q[p], hh * hd, p);
                for (int hh = 0; hh < kvh; hh++) rope(k[p], hh * hd, p);
            }
            double[][] att = new double[T][heads * hd];
            int group = heads / kvh;
            for (int p = 0; p < T; p++) {
                for (int hh = 0; hh < heads; hh++) {
                    int kh = hh / group;
                    double[] s = new double[p + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    int window = c.slidingWindow().orElse(Integer.MAX_VALUE);
                    for (int j = 0; j <= p; j++) {
                        if (p - j >= window) { s[j] = Double.NEGATIVE_INFINITY; continue; }
                        double d = 0;
                        for (int i = 0; i < hd; i++) d += q[p][hh * hd + i] * k[j][kh * hd + i];
                        s[j] = d / Math.sqrt(hd);
                        max = Math.max(max, s[j]);
                    }
                    double z = 0;
                    for (int j = 0; j <= p; j++) { s[j] = s[j] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(s[j] - max); z += s[j]; }
                    for (int j = 0; j <= p; j++) for (int i = 0; i < hd; i++) att[p][hh * hd + i] += s[j] / z * v[j][kh * hd + i];
                }
            }
            for (int p = 0; p < T; p++) {
                if (neox) {
                    double[] a = lin(t(pre + "attention.dense.weight"), t(pre + "attention.dense.bias"), att[p], h);
                    double[] h2 = ln(x[p], t(pre + "post_attention_layernorm.weight"), t(pre + "post_attention_layernorm.bias"), lnEps);
                    int im = c.intermediateSize();
                    double[] up = lin(t(pre + "mlp.dense_h_to_4h.weight"), t(pre + "mlp.dense_h_to_4h.bias"), h2, im);
                    for (int i = 0; i < im; i++) up[i] = 0.5 * up[i] * (1 + erf(up[i] / Math.sqrt(2)));
                    double[] m = lin(t(pre + "mlp.dense_4h_to_h.weight"), t(pre + "mlp.dense_4h_to_h.bias"), up, h);
                    for (int i = 0; i < h; i++) x[p][i] += a[i] + m[i];
                } else {
                    double[] a = lin(t(pre + "self_attn.o_proj.weight"), null, att[p], h);
                    for (int i = 0; i < h; i++) x[p][i] += a[i];
                    double[] h2 = rms(x[p], 0, h, t(pre + "post_attention_layernorm.weight"), c.normEps());
                    double[] m = mlp(pre, l, h2);
                    for (int i = 0; i < h; i++) x[p][i] += m[i];
                }
            }
        }
        double[][] out = new double[T][];
        double[] head = t(neox ? "embed_out.weight" : c.tieWordEmbeddingsRaw().orElseThrow() ? "model.embed_tokens.weight" : "lm_head.weight");
        for (int p = 0; p < T; p++) {
            double[] n = neox ? ln(x[p], t("gpt_neox.final_layer_norm.weight"), t("gpt_neox.final_layer_norm.bias"), lnEps)
                    : rms(x[p], 0, h, t("model.norm.weight"), c.normEps());
            out[p] = lin(head, null, n, V);
        }
        return out;
    }

    /** erf by its Taylor series: about 1e-13 for |x| <= 3 (cancellation grows beyond), saturated past 5. */
    static double erf(double x) {
        if (Math.abs(x) > 5) return Math.signum(x);
        double sum = x, term = x, x2 = x * x;
        for (int n = 1; n < 200; n++) {
            term *= -x2 / n;
            double add = term / (2 * n + 1);
            sum += add;
            if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }
}
