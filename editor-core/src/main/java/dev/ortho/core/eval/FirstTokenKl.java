package dev.ortho.core.eval;

import dev.ortho.core.numeric.Softmax;

/**
 * The selection-time KL divergence (METHOD.md §2.3, §5.5): KL(P_base ‖ P_ablated) of the first-token
 * distributions, in float64, with ε = 1e−6 inside the logarithms:
 *
 * <pre>  KL = Σ_v p_v (log(p_v + ε) − log(q_v + ε)),  p = softmax(base logits), q = softmax(ablated logits)</pre>
 *
 * This is the reference's formula, not the textbook KL: it takes logs of ε-shifted probabilities rather than
 * log-softmax, so probabilities far below ε contribute almost nothing and the result stays finite when q_v
 * underflows to 0. The softmax itself is the stable max-subtracted form.
 */
public final class FirstTokenKl {

    /** ε of §2.3. */
    public static final double EPSILON = 1e-6;

    private FirstTokenKl() {}

    public static double of(float[] baseLogits, float[] ablatedLogits) {
        return of(Softmax.widen(baseLogits), Softmax.widen(ablatedLogits));
    }

    public static double of(double[] baseLogits, double[] ablatedLogits) {
        if (baseLogits.length != ablatedLogits.length)
            throw new IllegalArgumentException("logit vectors differ in length: " + baseLogits.length + " vs " + ablatedLogits.length);
        double[] p = Softmax.probabilities(baseLogits);
        double[] q = Softmax.probabilities(ablatedLogits);
        double kl = 0;
        for (int v = 0; v < p.length; v++) kl += p[v] * (Math.log(p[v] + EPSILON) - Math.log(q[v] + EPSILON));
        return kl;
    }

    /** kl_score: the mean over prompts of the per-prompt KL, in prompt order. */
    public static double mean(double[] perPrompt) {
        return RefusalScore.mean(perPrompt);
    }
}
