package dev.ortho.core.numeric;

/**
 * The one softmax of the project, in float64 over a whole logit vector (METHOD.md §2.1: logits cast to
 * float64, softmax over the full vocabulary). Probabilities for the refusal score and first-token KL, log
 * probabilities for cross-entropy and per-position KL.
 */
public final class Softmax {

    private Softmax() {}

    /**
     * exp(z − max z) / Σ exp(z − max z): subtracting the maximum keeps exp from overflowing and does not
     * change the result (the form torch uses). A NaN logit gives NaN probabilities, which the selection
     * then discards (§2.4.1).
     */
    public static double[] probabilities(double[] logits) {
        if (logits.length == 0) throw new IllegalArgumentException("empty logit vector");
        double max = Double.NEGATIVE_INFINITY;
        for (double z : logits) max = Math.max(max, z);
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp(logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) p[i] /= sum;
        return p;
    }

    /** log softmax of {@code x[off .. off+n)}: z − (max + log Σ exp(z − max)). */
    public static double[] logProbabilities(float[] x, int off, int n) {
        if (n <= 0) throw new IllegalArgumentException("empty logit vector");
        double lse = logSumExp(x, off, n);
        double[] out = new double[n];
        for (int j = 0; j < n; j++) out[j] = x[off + j] - lse;
        return out;
    }

    /** log Σ exp over {@code x[off .. off+n)}, computed stably. */
    public static double logSumExp(float[] x, int off, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) max = Math.max(max, x[off + j]);
        double sum = 0;
        for (int j = 0; j < n; j++) sum += Math.exp(x[off + j] - max);
        return max + Math.log(sum);
    }

    public static double[] widen(float[] logits) {
        double[] d = new double[logits.length];
        for (int i = 0; i < d.length; i++) d[i] = logits[i];
        return d;
    }
}
