package dev.ortho.core.eval;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The plain-words diagnosis of a selection that found nothing, on hand-made score tables. */
class SelectionDiagnosisTest {

    private static final DirectionSelector PAPER_8 = new DirectionSelector(SelectionCriteria.paper(8));

    private static CandidateScores s(int pos, int layer, double bypass, double induce, double kl) {
        return new CandidateScores(new Candidate(pos, layer), bypass, induce, kl);
    }

    @Test
    void bypassingCandidatesRemovedByKlSuggestMaxKlAndSearch() {
        CandidateEvaluation e = PAPER_8.evaluate(List.of(s(-1, 3, -0.2, 5, 0.31), s(-1, 4, -0.36, 5.8, 0.28), s(-1, 1, 6, -9, 0.01),
                s(-1, 7, -2, 3, 0.01)));
        assertTrue(e.selection().isEmpty());
        SelectionDiagnosis d = SelectionDiagnosis.of(e, 7.18);
        String all = String.join(" ", d.explanation());
        assertTrue(all.contains("2 candidates bypass refusal (position -1 layer 3, position -1 layer 4"), all);
        assertTrue(all.contains("raise the first-token KL on harmless prompts above 0.1 (0.280 to 0.310)"), all);
        assertTrue(all.contains("not carried by one direction"), all);
        assertFalse(d.summary().contains("chat template"), d.summary());
        assertTrue(d.suggestions().getFirst().startsWith("--max-kl 0.28"), d.suggestions().toString());
        assertTrue(d.suggestions().getLast().contains("ortho search"), d.suggestions().toString());
    }

    @Test
    void noBypassingCandidateSaysSoAndPointsAtLateLayersWhenTheyDo() {
        CandidateEvaluation e = PAPER_8.evaluate(List.of(s(-1, 2, 1.5, -5, 0.01), s(-1, 3, 0.4, -1, 0.02), s(-1, 7, -1, 3, 0.5)));
        SelectionDiagnosis d = SelectionDiagnosis.of(e, 6.0);
        String all = String.join(" ", d.explanation());
        assertTrue(all.contains("No candidate before layer 6 brings the mean refusal score of harmful prompts below 0"), all);
        assertTrue(all.contains("position -1 layer 3, leaves it at 0.400"), all);
        assertTrue(all.contains("Only late layers (7"), all);
        assertTrue(d.suggestions().getFirst().startsWith("--prune-layers 0"), d.suggestions().toString());
    }

    @Test
    void onlyABaselineThatDoesNotRefuseBlamesTheTemplate() {
        CandidateEvaluation e = PAPER_8.evaluate(List.of(s(-1, 2, -1.5, -5, 0.01)));
        SelectionDiagnosis d = SelectionDiagnosis.of(e, -0.5);
        assertTrue(d.summary().contains("check the chat template and the refusal tokens"), d.summary());
        SelectionDiagnosis refusing = SelectionDiagnosis.of(e, 3.0);
        assertFalse(refusing.summary().contains("chat template"), refusing.summary());
        assertTrue(refusing.suggestions().getFirst().startsWith("--min-induce -5"), refusing.suggestions().toString());
    }

    @Test
    void aSurvivorNeedsNoDiagnosisAndSelectStillThrowsWithTheTable() {
        CandidateEvaluation ok = PAPER_8.evaluate(List.of(s(-1, 2, -1.5, 1, 0.01)));
        SelectionDiagnosis d = SelectionDiagnosis.of(ok, 3);
        assertTrue(d.explanation().isEmpty() && d.suggestions().isEmpty());
        NoSurvivingCandidateException ex = assertThrows(NoSurvivingCandidateException.class,
                () -> PAPER_8.select(List.of(s(-1, 2, 1.5, -5, 0.01))));
        assertEquals(1, ex.evaluation().evaluated().size());
        assertEquals(2, ex.exitCode());
    }
}
