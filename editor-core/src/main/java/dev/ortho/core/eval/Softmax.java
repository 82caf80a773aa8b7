package dev.ortho.core.eval;

/** Float64 softmax over a whole logit vector (METHOD.md §2.1: logits cast to float64, softmax over the full vocabulary). */
final class Softmax {

    private Softmax() {}

    /**
     * exp(z − max z) / Σ exp(z − max z): subtracting the maximum keeps exp from overflowing and does not
     * change the result (the form torch uses). A NaN logit gives NaN probabilities, which the selection
     * then discards (§2.4.1).
     */
    static double[] of(double[] logits) {
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

    static double[] widen(float[] logits) {
        double[] d = new double[logits.length];
        for (int i = 0; i < d.length; i++) d[i] = logits[i];
        return d;
    }
}
