package dev.ortho.core.eval;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Refusal score, KL and the baseline filter against hand-computed values. */
class ScoresTest {

    @Test
    void refusalScoreOfUniformLogits() {
        // p = 1/4 each; R = {0}: log(0.25 + 1e-8) - log(0.75 + 1e-8)
        double expected = Math.log(0.25 + 1e-8) - Math.log(0.75 + 1e-8);
        assertEquals(expected, RefusalScore.of(new float[] {0, 0, 0, 0}, new int[] {0}), 1e-15);
        assertEquals(-Math.log(3), RefusalScore.of(new double[] {0, 0, 0, 0}, new int[] {0}), 1e-7);
        // R = {0, 1}: P_ref = 1/2, log-odds 0
        assertEquals(0.0, RefusalScore.of(new double[] {1, 1, 1, 1}, new int[] {0, 1}), 1e-15);
    }

    @Test
    void refusalScoreIsBoundedByEpsilonAndStable() {
        // Logits of 1e4 would overflow exp without max subtraction; P_ref = 1 gives log(1+ε) − log(ε).
        double top = RefusalScore.of(new double[] {1e4, 0, 0}, new int[] {0});
        assertEquals(Math.log(1 + 1e-8) - Math.log(1e-8), top, 1e-12);
        assertEquals(-Math.log(1e-8) + 1e-8, top, 1e-12); // −ln ε plus ln(1 + ε) ≈ ε
        assertEquals(-top, RefusalScore.of(new double[] {1e4, 0, 0}, new int[] {2}), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> RefusalScore.of(new double[] {0, 0}, new int[] {2}));
    }

    @Test
    void refusalScoreOfKnownDistribution() {
        // logits ln(1), ln(2), ln(7): p = 0.1, 0.2, 0.7; R = {1, 0} gives P_ref = 0.3.
        double[] z = {0, Math.log(2), Math.log(7)};
        assertEquals(Math.log(0.3 + 1e-8) - Math.log(0.7 + 1e-8), RefusalScore.of(z, new int[] {1, 0}), 1e-14);
    }

    @Test
    void klHandComputed() {
        // p = (1/2, 1/2), q = (3/4, 1/4): KL = ½(log(½+ε) − log(¾+ε)) + ½(log(½+ε) − log(¼+ε)) ≈ ½ ln(4/3)
        double e = 1e-6;
        double expected = 0.5 * (Math.log(0.5 + e) - Math.log(0.75 + e)) + 0.5 * (Math.log(0.5 + e) - Math.log(0.25 + e));
        double kl = FirstTokenKl.of(new double[] {0, 0}, new double[] {Math.log(3), 0});
        assertEquals(expected, kl, 1e-15);
        assertEquals(0.5 * Math.log(4.0 / 3), kl, 1e-5);
        // Direction matters: KL(q‖p) is a different number.
        assertNotEquals(kl, FirstTokenKl.of(new double[] {Math.log(3), 0}, new double[] {0, 0}), 1e-3);
    }

    @Test
    void klIsZeroForEqualDistributionsAndFiniteWhenQVanishes() {
        assertEquals(0.0, FirstTokenKl.of(new float[] {1, 2, 3}, new float[] {1, 2, 3}));
        // Softmax is shift-invariant: a constant added to every logit changes nothing.
        assertEquals(0.0, FirstTokenKl.of(new double[] {1, 2, 3}, new double[] {101, 102, 103}), 1e-15);
        // q puts 0 (underflow) where p puts 1/2: the ε keeps the result finite, ≈ ½ log(½/ε) + ½ log(½/1).
        double kl = FirstTokenKl.of(new double[] {0, 0}, new double[] {0, -1e4});
        double expected = 0.5 * (Math.log(0.5 + 1e-6) - Math.log(1e-6)) + 0.5 * (Math.log(0.5 + 1e-6) - Math.log(1 + 1e-6));
        assertEquals(expected, kl, 1e-12);
        assertTrue(Double.isFinite(kl));
        assertThrows(IllegalArgumentException.class, () -> FirstTokenKl.of(new double[] {0}, new double[] {0, 0}));
    }

    @Test
    void meansAndBaselineFilter() {
        assertEquals(2.0, RefusalScore.mean(new double[] {1, 2, 3}));
        double[] scores = {1.5, -0.1, 0.0, Double.NaN, 3};
        assertArrayEquals(new int[] {0, 4}, BaselineFilter.keepHarmful(scores), "score > 0; 0 and NaN dropped");
        assertArrayEquals(new int[] {1}, BaselineFilter.keepHarmless(scores), "score < 0; 0 and NaN dropped");
        assertEquals(java.util.List.of("a", "e"), BaselineFilter.select(java.util.List.of("a", "b", "c", "d", "e"), new int[] {0, 4}));
    }
}
