package dev.ortho.core.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ortho.fixtures.SharedData;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class DirectionSelectorTest {

    private static final DirectionSelector PAPER_8 = new DirectionSelector(SelectionCriteria.paper(8));

    private static CandidateScores s(int pos, int layer, double bypass, double induce, double kl) {
        return new CandidateScores(new Candidate(pos, layer), bypass, induce, kl);
    }

    /** The organism's 40 reference candidates select (−1, 4) with the same 2 survivors and the same verdicts. */
    @Test
    void organismReferenceSelection() {
        JsonNode ref = SharedData.json(SharedData.organism().resolve("reference.json"));
        List<CandidateScores> scores = new ArrayList<>();
        for (JsonNode c : ref.get("candidates"))
            scores.add(s(c.get("position").asInt(), c.get("layer").asInt(), c.get("bypass_score").asDouble(),
                    c.get("induce_score").asDouble(), c.get("kl_score").asDouble()));
        assertEquals(40, scores.size());
        int L = ref.get("num_layers").asInt();
        JsonNode sel = ref.get("selection");
        assertEquals(sel.get("max_layer_exclusive").asInt(), SelectionCriteria.paper(L).maxLayerExclusive());

        // The caller's order must not matter.
        Collections.shuffle(scores, new Random(7));
        Selection result = new DirectionSelector(SelectionCriteria.paper(L)).select(scores);

        JsonNode expected = sel.get("selected");
        assertEquals(new Candidate(expected.get("position").asInt(), expected.get("layer").asInt()), result.selected().candidate());
        assertEquals(new Candidate(-1, 4), result.selected().candidate());
        assertEquals(expected.get("bypass_score").asDouble(), result.selected().bypassScore());
        assertEquals(sel.get("n_survivors").asInt(), result.survivors().size());
        assertEquals(2, result.survivors().size());
        assertEquals(new Candidate(-1, 3), result.survivors().get(1).candidate());

        // Every candidate's verdict and reasons equal the reference's, in the paper's order.
        assertEquals(40, result.evaluated().size());
        int i = 0;
        for (JsonNode c : ref.get("candidates")) {
            EvaluatedCandidate e = result.evaluated().get(i++);
            assertEquals(new Candidate(c.get("position").asInt(), c.get("layer").asInt()), e.candidate());
            assertEquals(!c.get("filtered").asBoolean(), e.survived(), e.candidate().toString());
            List<String> reasons = new ArrayList<>();
            c.get("filter_reasons").forEach(r -> reasons.add(r.asText()));
            assertEquals(reasons, e.reasonLabels(), e.candidate().toString());
        }
    }

    /** ⌊0.8 L⌋ as the reference computes int(L * (1 - 0.2)): METHOD.md §2.4's table. */
    @Test
    void lateLayerBoundaryMatchesThePaperTable() {
        int[][] table = {{8, 6}, {18, 14}, {24, 19}, {28, 22}, {32, 25}, {40, 32}, {60, 48}, {80, 64}};
        for (int[] row : table) assertEquals(row[1], SelectionCriteria.paper(row[0]).maxLayerExclusive(), "L=" + row[0]);
        assertEquals(List.of(), PAPER_8.reasons(s(-1, 5, -1, 1, 0)));
        assertEquals(List.of(FilterReason.LATE_LAYER), PAPER_8.reasons(s(-1, 6, -1, 1, 0)));
    }

    @Test
    void thresholdsAreInclusiveAsInTheCode() {
        assertEquals(List.of(), PAPER_8.reasons(s(-1, 1, -1, 0.0, 0.1)), "KL == 0.1 and induce == 0 are kept");
        assertEquals(List.of(FilterReason.KL_TOO_HIGH), PAPER_8.reasons(s(-1, 1, -1, 0.0, Math.nextUp(0.1))));
        assertEquals(List.of(FilterReason.INDUCE_TOO_LOW), PAPER_8.reasons(s(-1, 1, -1, -Double.MIN_VALUE, 0.1)));
        assertEquals(List.of(FilterReason.LATE_LAYER, FilterReason.KL_TOO_HIGH, FilterReason.INDUCE_TOO_LOW),
                PAPER_8.reasons(s(-2, 7, -1, -1, 1)));
    }

    @Test
    void nanScoresAreDiscarded() {
        assertEquals(List.of(FilterReason.NAN_SCORE), PAPER_8.reasons(s(-1, 1, Double.NaN, 1, 0)));
        assertEquals(List.of(FilterReason.NAN_SCORE), PAPER_8.reasons(s(-1, 1, -1, Double.NaN, 0)));
        assertEquals(List.of(FilterReason.NAN_SCORE), PAPER_8.reasons(s(-1, 1, -1, 1, Double.NaN)));
        Selection sel = PAPER_8.select(List.of(s(-1, 1, Double.NaN, 1, 0), s(-1, 2, 3, 1, 0)));
        assertEquals(new Candidate(-1, 2), sel.selected().candidate());
    }

    /** Lowest bypass wins; equal bypass: the first in the paper's order (position outer, layer inner). */
    @Test
    void rankingAndTies() {
        Selection sel = PAPER_8.select(List.of(s(-1, 0, -2, 1, 0), s(-2, 3, -2, 1, 0), s(-2, 1, -1, 1, 0), s(-3, 2, 5, 1, 0)));
        assertEquals(new Candidate(-2, 3), sel.selected().candidate());
        assertEquals(List.of(new Candidate(-2, 3), new Candidate(-1, 0), new Candidate(-2, 1), new Candidate(-3, 2)),
                sel.survivors().stream().map(CandidateScores::candidate).toList());
        // −0.0 and 0.0 tie, as in Python: the earlier candidate wins.
        Selection zero = PAPER_8.select(List.of(s(-1, 1, -0.0, 1, 0), s(-2, 1, 0.0, 1, 0)));
        assertEquals(new Candidate(-2, 1), zero.selected().candidate());
    }

    @Test
    void nothingSurvives() {
        NoSurvivingCandidateException e = assertThrows(NoSurvivingCandidateException.class,
                () -> PAPER_8.select(List.of(s(-1, 7, -1, 1, 0), s(-1, 1, -1, -1, 0))));
        assertEquals(2, e.exitCode());
        assertTrue(e.getMessage().contains("all 2 candidate directions were filtered out"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PAPER_8.select(List.of()));
        assertThrows(IllegalArgumentException.class, () -> PAPER_8.select(List.of(s(-1, 1, 0, 0, 0), s(-1, 1, 1, 1, 0))));
    }
}
