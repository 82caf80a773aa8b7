package dev.ortho.cli;

import dev.ortho.core.runtime.LogitComparison;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which positions count as "first token" and "continuation" (no model needed). */
class CompareSummaryTest {

    private static final int V = 3;

    /** Logits [len, V] with every row equal to {@code row}. */
    private static float[] rows(int len, float... row) {
        float[] out = new float[len * V];
        for (int p = 0; p < len; p++) System.arraycopy(row, 0, out, p * V, V);
        return out;
    }

    @Test
    void firstTokenAndContinuationPositions() {
        // Sequence 0: 3 prompt tokens + 2 continuation tokens; sequence 1: 2 prompt tokens + 1.
        List<int[]> seqs = List.of(new int[]{0, 1, 2, 0, 1}, new int[]{2, 2, 0});
        float[] a0 = rows(5, 1, 0, 0), a1 = rows(3, 0, 0, 1);
        float[] b0 = a0.clone(), b1 = a1.clone();
        // Edited differs only at sequence 0 position 2 (its first generated token) by a known amount.
        b0[2 * V] = 0;
        b0[2 * V + 1] = 2;
        LogitComparison.Report r = LogitComparison.compare(seqs, List.of(a0, a1), List.of(b0, b1), V);
        CompareSummary s = new CompareSummary(r, new int[]{3, 2}, new int[]{5, 3}, true);
        Map<String, Double> m = s.metrics();
        double kl = r.perPosition().get(2).kl();
        assertTrue(kl > 0.5, "the changed position has a large KL: " + kl);
        assertEquals(kl, m.get("first_kl_max"), 1e-12);
        assertEquals(kl / 2, m.get("first_kl_mean"), 1e-12); // two first tokens, one unchanged
        assertEquals(0.5, m.get("first_top1"));
        // Continuation positions: seq 0 positions 2, 3 and seq 1 position 1 (those predicting a generated token).
        assertEquals(kl / 3, m.get("cont_kl_mean"), 1e-12);
        assertEquals(2.0 / 3, m.get("cont_top1"), 1e-12);
        assertEquals(kl, s.stats("cont").max(), 1e-12);
        // The whole-sequence metrics are the report's own.
        assertEquals(r.kl().mean(), m.get("kl_mean"));
        assertEquals(kl / 8, m.get("kl_mean"), 1e-12);
        assertTrue(m.get("cont_ce_delta") > 0, "the edit lowers the continuation's likelihood at position 2");
        assertFalse(new CompareSummary(r, new int[]{3, 2}, new int[]{5, 3}, false).metrics().containsKey("cont_kl_mean"));
    }

    @Test
    void quotedEscapesControlCharacters() {
        assertEquals("\"a\\nb\\t\\\"c\\\\\\u0001\"", PromptText.quoted("a\nb\t\"c\\\u0001"));
    }
}
