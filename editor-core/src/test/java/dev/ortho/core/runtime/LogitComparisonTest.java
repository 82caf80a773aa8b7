package dev.ortho.core.runtime;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class LogitComparisonTest {

    @Test
    void klTopKAndCrossEntropyByHand() {
        // Vocabulary 3; sequence [0, 2]: position 0 predicts token 2, position 1 has no next token.
        float[] a = {0f, 0f, 0f, /* pos 1 */ 1f, 2f, 3f};
        float[] b = {(float) Math.log(2), 0f, 0f, /* pos 1 */ 1f, 2f, 3f};
        LogitComparison.Report r = LogitComparison.compare(List.of(new int[]{0, 2}), List.of(a), List.of(b), 3);
        // p = (1/3,1/3,1/3), q = (1/2,1/4,1/4): KL = 1/3·ln(2/3) + 2/3·ln(4/3)
        double kl0 = Math.log(2.0 / 3) / 3 + 2 * Math.log(4.0 / 3) / 3;
        assertEquals(kl0, r.perPosition().get(0).kl(), 1e-7);
        assertEquals(0, r.perPosition().get(1).kl(), 1e-12);
        assertEquals(kl0 / 2, r.kl().mean(), 1e-7);
        assertEquals(kl0, r.kl().max(), 1e-7);
        assertEquals(1.0, r.top1(), 0); // ties resolve to the lowest id: token 0 both times, then token 2
        assertEquals(Math.log(2), r.maxAbsDiff().max(), 1e-6);
        assertEquals(Math.log(3), r.ceOriginal(), 1e-6);      // -ln(1/3) for token 2 at position 0
        assertEquals(Math.log(4), r.ceEdited(), 1e-6);        // -ln(1/4)
        assertEquals(2, r.positions());
        assertEquals(r.ceEdited() - r.ceOriginal(), r.metrics().get("ce_delta"), 1e-12);
    }

    @Test
    void topKIsOrderedAndStable() {
        assertArrayEquals(new int[]{2, 0, 1}, LogitComparison.topK(new double[]{1, 1, 5, 0}, 3));
    }
}
