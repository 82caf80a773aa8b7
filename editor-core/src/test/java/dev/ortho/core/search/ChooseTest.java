package dev.ortho.core.search;

import dev.ortho.core.edit.LayerKernel;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** How the search picks its edit among the judged front points. */
class ChooseTest {

    private static final SearchPoint P = new SearchPoint(-1, 4, 1, false, false, true, new LayerKernel(3.5, 1, 1, 7.5),
            new LayerKernel(3.5, 1, 1, 7.5));

    private static SearchReport.FrontPoint p(int trial, double kl, boolean checked, double harmful, double harmless) {
        return new SearchReport.FrontPoint(trial, P, new TrialObjectives(-3, kl, 0), List.of(), checked, harmful, harmless);
    }

    @Test
    void leastRefusalThenLowestKlWithinOnePrompt() {
        double one = 1 / 32.0;
        // The paper's edit refuses one harmful prompt of 32 more than the best, at a fifth of its KL: one prompt is
        // noise, the KL is not, so the paper's edit is kept.
        assertEquals(0, RefusalSearch.choose(List.of(p(0, 0.015, true, one, 0), p(7, 0.08, true, 0, 0)), one, null).trial());
        // Two prompts more is a real difference: the one that refuses less wins despite its KL.
        assertEquals(7, RefusalSearch.choose(List.of(p(0, 0.015, true, 2 * one, 0), p(7, 0.08, true, 0, 0)), one, null).trial());
        // Over-refusal of harmless prompts counts as refusal.
        assertEquals(7, RefusalSearch.choose(List.of(p(0, 0.015, true, 0, 3 * one), p(7, 0.08, true, 0, 0)), one, null).trial());
        // Unjudged points are never chosen; nothing judged, nothing chosen.
        assertEquals(3, RefusalSearch.choose(List.of(p(2, 0.001, false, Double.NaN, Double.NaN), p(3, 0.05, true, 0.5, 0)), one, null).trial());
        assertNull(RefusalSearch.choose(List.of(p(2, 0.001, false, Double.NaN, Double.NaN)), one, null));
    }

    @Test
    void neverAnEditThatRefusesMoreThanTheStartingPoint() {
        double one = 1 / 32.0;
        SearchReport.FrontPoint start = p(0, 0.015, true, 0, 0);
        // Within one prompt of the least refusal and at a third of the KL, but it refuses more than the start: kept out.
        assertEquals(0, RefusalSearch.choose(List.of(p(40, 0.005, true, one, 0), start), one, start).trial());
        // Without a start to compare with, the one-prompt allowance decides as before.
        assertEquals(40, RefusalSearch.choose(List.of(p(40, 0.005, true, one, 0), start), one, null).trial());
        // An edit that refuses as little as the start and damages less is still preferred.
        assertEquals(41, RefusalSearch.choose(List.of(p(41, 0.005, true, 0, 0), start), one, start).trial());
        // A start whose own refusal is higher is no obstacle to edits that refuse less.
        SearchReport.FrontPoint weak = p(0, 0.015, true, 3 * one, 0);
        assertEquals(42, RefusalSearch.choose(List.of(p(42, 0.05, true, 0, 0), weak), one, weak).trial());
    }
}
