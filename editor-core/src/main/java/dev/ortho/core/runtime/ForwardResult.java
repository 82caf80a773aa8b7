package dev.ortho.core.runtime;

import java.util.List;

/**
 * Per-sequence outputs of {@link ModelRuntime#forward}, padding removed. Arrays are row-major:
 * logits {@code [positions, vocab]}, residuals {@code [positions, hidden]}.
 *
 * @param logits    per sequence: all its positions, or only the last one
 * @param residuals per sequence, per index: 0..layers-1 the input of that layer, {@code layers} the
 *                  last layer's output before the final norm; empty when not captured
 * @param finalNorm per sequence: the final norm's output (what the LM head reads); empty when not captured
 */
public record ForwardResult(int vocab, int hidden, int layers, List<float[]> logits, List<float[][]> residuals,
                            List<float[]> finalNorm) {

    /** Logits row of sequence {@code seq} at {@code row} (0-based within what was returned). */
    public float[] logitsRow(int seq, int row) {
        float[] out = new float[vocab];
        System.arraycopy(logits.get(seq), row * vocab, out, 0, vocab);
        return out;
    }

    public int rows(int seq) { return logits.get(seq).length / vocab; }

    /** Residual of sequence {@code seq} at index {@code index} (see the record doc). */
    public float[] residual(int seq, int index) { return residuals.get(seq)[index]; }
}
