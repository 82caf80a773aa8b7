package dev.ortho.core.runtime;

import dev.ortho.formats.config.ModelConfig;
import dev.ortho.formats.config.RopeScaling;

import java.nio.file.Path;

/**
 * Rotary inverse frequencies as transformers computes them ({@code rope_init_fn}): float32
 * {@code 1 / base^(2i/dim)}, then the scaling rule of the rope type. Only types whose cos/sin do
 * not depend on the sequence length are supported: default, linear, llama3.
 */
final class Rope {

    private Rope() {}

    /** Rotated dimensions per head: {@code int(head_dim * partial_rotary_factor)}. */
    static int rotaryDim(ModelConfig c) {
        return (int) (c.headDim() * c.partialRotaryFactor());
    }

    static float[] invFreq(ModelConfig c, Path dir) {
        int dim = rotaryDim(c);
        float base = (float) c.ropeTheta();
        float[] inv = new float[dim / 2];
        for (int i = 0; i < inv.length; i++) {
            float exponent = (float) (2 * i) / (float) dim;
            inv[i] = 1.0f / (float) Math.pow(base, exponent);
        }
        if (c.ropeScaling().isEmpty()) return inv;
        RopeScaling s = c.ropeScaling().get();
        switch (s.type()) {
            case "default" -> { }
            case "linear" -> {
                for (int i = 0; i < inv.length; i++) inv[i] = (float) (inv[i] / s.factor());
            }
            case "llama3" -> llama3(inv, s, c, dir);
            default -> throw RuntimeFailure.unsupported(dir, "rope type '" + s.type()
                    + "' is not supported by the runtime (default, linear, llama3 are)");
        }
        return inv;
    }

    /** Llama 3.1: long wavelengths divided by the factor, short ones kept, a smooth ramp between. */
    private static void llama3(float[] inv, RopeScaling s, ModelConfig c, Path dir) {
        double factor = s.factor();
        double low = s.lowFreqFactor().orElseThrow(() -> RuntimeFailure.unsupported(dir, "llama3 rope needs low_freq_factor"));
        double high = s.highFreqFactor().orElseThrow(() -> RuntimeFailure.unsupported(dir, "llama3 rope needs high_freq_factor"));
        double old = s.originalMaxPositionEmbeddings().orElseThrow(
                () -> RuntimeFailure.unsupported(dir, "llama3 rope needs original_max_position_embeddings"));
        double lowWavelen = old / low;
        double highWavelen = old / high;
        for (int i = 0; i < inv.length; i++) {
            float f = inv[i];
            double wavelen = 2 * Math.PI / f;
            float scaled = wavelen > lowWavelen ? (float) (f / factor) : f;
            boolean medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
            if (medium) {
                float smooth = (float) ((old / wavelen - low) / (high - low));
                scaled = (1 - smooth) * scaled / (float) factor + smooth * scaled;
            }
            inv[i] = scaled;
        }
    }
}
