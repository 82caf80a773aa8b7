package dev.ortho.core.runtime;

import dev.ortho.formats.checkpoint.Checkpoint;
import dev.ortho.formats.config.ModelConfig;
import dev.ortho.formats.safetensors.DType;
import dev.ortho.formats.safetensors.FloatConversions;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * An independent float64 forward pass in plain Java for the two families without golden data,
 * Qwen3 and GPT-NeoX (and Llama/Mistral: sliding window on every layer, linear rope scaling),
 * written loop by loop from the transformers modeling code. Slow and simple on
 * purpose: it shares no code with the ONNX graph.
 */
final class PlainReference {

    private final Checkpoint ck;
    private final ModelConfig c;
    private final boolean neox;

    private PlainReference(Path dir) {
        this.ck = Checkpoint.open(dir);
        this.c = ModelConfig.read(dir.resolve("config.json"));
        this.neox = c.modelType().equals("gpt_neox");
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

    /** rotate_half rotary on the first rd dims of a head vector at position pos. */
    private void rope(double[] v, int off, int pos) {
        int rd = (int) (c.headDim() * c.partialRotaryFactor());
        double[] orig = new double[rd];
        System.arraycopy(v, off, orig, 0, rd);
        for (int i = 0; i < rd; i++) {
            int k = i % (rd / 2);
            double freq = 1 / Math.pow(c.ropeTheta(), 2.0 * k / rd);
            if (c.ropeScaling().isPresent() && c.ropeScaling().get().type().equals("linear")) freq /= c.ropeScaling().get().factor();
            double a = pos * freq;
            double rot = i < rd / 2 ? -orig[i + rd / 2] : orig[i - rd / 2];
            v[off + i] = orig[i] * Math.cos(a) + rot * Math.sin(a);
        }
    }

    private double[][] run(int[] ids) {
        int h = c.hiddenSize(), heads = c.numHeads(), kvh = neox ? heads : c.numKvHeads(), hd = c.headDim();
        int T = ids.length, V = c.vocabSize();
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
                    q[p] = lin(t(a + "q_proj.weight"), null, hIn[p], heads * hd);
                    k[p] = lin(t(a + "k_proj.weight"), null, hIn[p], kvh * hd);
                    v[p] = lin(t(a + "v_proj.weight"), null, hIn[p], kvh * hd);
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
                    int im = c.intermediateSize();
                    double[] gate = lin(t(pre + "mlp.gate_proj.weight"), null, h2, im);
                    double[] up = lin(t(pre + "mlp.up_proj.weight"), null, h2, im);
                    for (int i = 0; i < im; i++) up[i] *= gate[i] / (1 + Math.exp(-gate[i]));
                    double[] m = lin(t(pre + "mlp.down_proj.weight"), null, up, h);
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
