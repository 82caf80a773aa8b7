package dev.ortho.core.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ortho.formats.config.ModelConfig;
import dev.ortho.formats.config.RopeScaling;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Rotary inverse frequencies and the cos/sin multiplier ("attention scaling") exactly as transformers
 * 5.18 computes them ({@code modeling_rope_utils}), step by step in float32 where torch computes in
 * float32, so that the frequencies agree bit for bit.
 *
 * <p>Static types (default, linear, llama3, yarn) give one set of frequencies baked into the graph.
 * {@code dynamic} and {@code longrope} depend on the length of the forward call,
 * {@code L = max(position) + 1} over the whole batch as transformers uses it: their frequencies are a
 * graph input ({@link #INPUT}) computed here for every run (see {@link #at}).
 */
final class Rope {

    /** Graph input holding the inverse frequencies of a length-dependent rope type, [rotaryDim / 2]. */
    static final String INPUT = "rope_inv_freq";

    private static final List<String> KNOWN = List.of("default", "linear", "llama3", "yarn", "dynamic", "longrope");

    private Rope() {}

    /** Rotated dimensions per head: {@code int(head_dim * partial_rotary_factor)}. */
    static int rotaryDim(ModelConfig c) {
        return (int) (c.headDim() * c.partialRotaryFactor());
    }

    static String type(ModelConfig c) {
        return c.ropeScaling().map(RopeScaling::type).orElse("default");
    }

    /** Whether the frequencies depend on the length of the forward call (fed per run). */
    static boolean lengthDependent(ModelConfig c) {
        String t = type(c);
        return t.equals("dynamic") || t.equals("longrope");
    }

    /**
     * Refuses, before anything runs, a rope type this runtime does not implement or one whose
     * parameters are missing or malformed; the message names the type.
     */
    static void validate(ModelConfig c, Path dir) {
        String t = type(c);
        if (!KNOWN.contains(t)) {
            throw RuntimeFailure.unsupported(dir, "rope type '" + t + "' is not supported by the runtime ("
                    + String.join(", ", KNOWN) + " are)");
        }
        at(c, dir, 1);
        if (t.equals("longrope")) at(c, dir, Integer.MAX_VALUE);
    }

    /**
     * Frequencies for a forward call whose longest row has {@code seqLen} positions (ignored by the
     * static types). For cached generation the runtime passes each step's full length (prompt plus
     * tokens so far), which is what transformers' {@code generate} does with a fresh model.
     */
    static Frequencies at(ModelConfig c, Path dir, long seqLen) {
        int dim = rotaryDim(c);
        if (dim < 2 || dim % 2 != 0) throw RuntimeFailure.unsupported(dir, "rotary dimension " + dim + " must be even and positive");
        float theta = (float) c.ropeTheta();
        if (c.ropeScaling().isEmpty()) return new Frequencies(plain(theta, dim), 1f);
        RopeScaling s = c.ropeScaling().get();
        return switch (s.type()) {
            case "default" -> new Frequencies(plain(theta, dim), 1f);
            case "linear" -> {
                float[] inv = plain(theta, dim);
                for (int i = 0; i < inv.length; i++) inv[i] = inv[i] / (float) s.factor();
                yield new Frequencies(inv, 1f);
            }
            case "llama3" -> new Frequencies(llama3(plain(theta, dim), s, dir), 1f);
            case "yarn" -> yarn(theta, dim, s, dir);
            case "dynamic" -> new Frequencies(dynamic(c, dim, s, seqLen), 1f);
            case "longrope" -> longrope(c, dim, s, seqLen, dir);
            default -> throw RuntimeFailure.unsupported(dir, "rope type '" + s.type() + "' is not supported by the runtime ("
                    + String.join(", ", KNOWN) + " are)");
        };
    }

    /** Inverse frequencies and the factor applied to cos and sin. */
    record Frequencies(float[] invFreq, float attentionScaling) {}

    /** {@code 1 / base^(f32(2i) / f32(dim))}, every step in float32 as torch does. */
    private static float[] plain(float base, int dim) {
        float[] inv = new float[dim / 2];
        for (int i = 0; i < inv.length; i++) inv[i] = 1.0f / powf(base, (float) (2 * i) / (float) dim);
        return inv;
    }

    /** torch's float32 pow: the correctly rounded result (what glibc's powf returns). */
    private static float powf(float base, float exponent) {
        return (float) Math.pow(base, exponent);
    }

    private static double need(Optional<? extends Number> v, String type, String key, Path dir) {
        return v.orElseThrow(() -> RuntimeFailure.unsupported(dir, type + " rope needs " + key)).doubleValue();
    }

    /** Llama 3.1: long wavelengths divided by the factor, short ones kept, a smooth ramp between. */
    private static float[] llama3(float[] inv, RopeScaling s, Path dir) {
        float factor = (float) s.factor();
        double low = need(s.lowFreqFactor(), "llama3", "low_freq_factor", dir);
        double high = need(s.highFreqFactor(), "llama3", "high_freq_factor", dir);
        double old = need(s.originalMaxPositionEmbeddings(), "llama3", "original_max_position_embeddings", dir);
        // Python-side scalars (double), compared with and applied to float32 tensors in float32.
        float lowWavelen = (float) (old / low), highWavelen = (float) (old / high);
        for (int i = 0; i < inv.length; i++) {
            float f = inv[i];
            float wavelen = (float) (2 * Math.PI) / f;
            float scaled = wavelen > lowWavelen ? f / factor : f;
            float smooth = ((float) old / wavelen - (float) low) / (float) (high - low);
            float smoothed = (1 - smooth) * scaled / factor + smooth * scaled;
            boolean medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
            inv[i] = medium ? smoothed : scaled;
        }
        return inv;
    }

    /** YaRN: a ramp between interpolated (divided by the factor) and original frequencies; cos/sin scaled. */
    private static Frequencies yarn(float base, int dim, RopeScaling s, Path dir) {
        double factor = s.factor();
        double omax = need(s.originalMaxPositionEmbeddings(), "yarn", "original_max_position_embeddings", dir);
        double attention = s.attentionFactor().orElseGet(() -> s.mscale().isPresent() && s.mscaleAllDim().isPresent()
                && s.mscale().get() != 0 && s.mscaleAllDim().get() != 0
                ? mscale(factor, s.mscale().get()) / mscale(factor, s.mscaleAllDim().get())
                : mscale(factor, 1));
        double low = correctionDim(s.betaFast(), dim, base, omax);
        double high = correctionDim(s.betaSlow(), dim, base, omax);
        if (s.truncate()) {
            low = Math.floor(low);
            high = Math.ceil(high);
        }
        low = Math.max(low, 0);
        high = Math.min(high, dim - 1);
        if (low == high) high += 0.001;
        float[] inv = new float[dim / 2];
        for (int i = 0; i < inv.length; i++) {
            float pos = powf(base, (float) (2 * i) / (float) dim);
            float extrapolation = 1.0f / pos;
            float interpolation = 1.0f / ((float) factor * pos);
            float ramp = Math.min(Math.max(((float) i - (float) low) / (float) (high - low), 0f), 1f);
            float extrapolationFactor = 1 - ramp;
            inv[i] = interpolation * (1 - extrapolationFactor) + extrapolation * extrapolationFactor;
        }
        return new Frequencies(inv, (float) attention);
    }

    private static double mscale(double scale, double m) {
        return scale <= 1 ? 1.0 : 0.1 * m * Math.log(scale) + 1.0;
    }

    private static double correctionDim(double rotations, int dim, double base, double omax) {
        return dim * Math.log(omax / (rotations * 2 * Math.PI)) / (2 * Math.log(base));
    }

    /**
     * Dynamic NTK: for {@code L > max_position_embeddings} the base grows to
     * {@code theta (factor L / max - (factor - 1))^(d/(d-2))}; transformers computes it from a 0-d
     * float32 tensor, so every step here is float32 too. Shorter calls use the plain frequencies.
     */
    private static float[] dynamic(ModelConfig c, int dim, RopeScaling s, long seqLen) {
        int maxPos = c.maxPositionEmbeddings();
        float theta = (float) c.ropeTheta();
        if (seqLen <= maxPos) return plain(theta, dim);
        float len = (float) seqLen;
        float grown = (float) s.factor() * len / (float) maxPos - (float) (s.factor() - 1);
        // torch's pow(float tensor, python float) raises in double and rounds once to float32.
        float base = theta * (float) Math.pow(grown, (double) dim / (dim - 2));
        return plain(base, dim);
    }

    /**
     * Phi-3 LongRoPE: per-frequency divisors, the long ones once the call is longer than the original
     * context; cos/sin scaled by {@code sqrt(1 + ln(factor) / ln(omax))} unless an attention factor is given.
     */
    private static Frequencies longrope(ModelConfig c, int dim, RopeScaling s, long seqLen, Path dir) {
        double omax = need(s.originalMaxPositionEmbeddings(), "longrope", "original_max_position_embeddings", dir);
        for (List<Double> f : List.of(s.shortFactor(), s.longFactor())) {
            if (f.size() != dim / 2) {
                throw RuntimeFailure.unsupported(dir, "longrope needs short_factor and long_factor of " + dim / 2
                        + " values each (rotary dimension / 2), got " + s.shortFactor().size() + " and " + s.longFactor().size());
            }
        }
        double factor = s.factor();
        double attention = s.attentionFactor().orElseGet(() -> factor <= 1.0 ? 1.0
                : Math.sqrt(1 + Math.log(factor) / Math.log(omax)));
        List<Double> ext = seqLen > omax ? s.longFactor() : s.shortFactor();
        float theta = (float) c.ropeTheta();
        float[] inv = new float[dim / 2];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = 1.0f / (ext.get(i).floatValue() * powf(theta, (float) (2 * i) / (float) dim));
        }
        return new Frequencies(inv, (float) attention);
    }

    /**
     * Gemma 3's sliding layers rotate with their own base and no scaling: transformers 5's
     * {@code rope_parameters.sliding_attention}, legacy {@code rope_local_base_freq}, else the
     * architecture spec's {@code local_rope_theta}. Empty when every layer uses the model's one rope.
     */
    static Optional<Frequencies> slidingLayers(ModelConfig c, OptionalDouble specDefault, Path dir) {
        JsonNode raw = c.raw();
        JsonNode local = raw.path("rope_parameters").get("sliding_attention");
        double theta;
        if (local != null && local.isObject()) {
            String type = local.path("rope_type").asText("default");
            if (!type.equals("default")) {
                throw RuntimeFailure.unsupported(dir, "rope type '" + type + "' for sliding_attention layers is not"
                        + " supported by the runtime (default is)");
            }
            theta = local.path("rope_theta").asDouble(10000.0);
        } else if (raw.path("rope_local_base_freq").isNumber()) {
            theta = raw.get("rope_local_base_freq").asDouble();
        } else if (specDefault.isPresent()) {
            theta = specDefault.getAsDouble();
        } else {
            return Optional.empty();
        }
        int dim = rotaryDim(c);
        return Optional.of(new Frequencies(plain((float) theta, dim), 1f));
    }
}
