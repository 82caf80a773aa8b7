package dev.ortho.core.eval;

import dev.ortho.core.direction.CandidateDirections;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class CandidateScoringTest {

    @Test
    void scoresAreMeansOfPerPromptMetrics() {
        int[] refusal = {0};
        List<float[]> harmfulAblated = List.of(new float[] {0, 0, 0, 0}, new float[] {0, 0, 0, 0});
        List<float[]> induced = List.of(new float[] {0, 0, 0, 0});
        List<float[]> base = List.of(new float[] {0, 0}, new float[] {1, 1});
        List<float[]> ablated = List.of(new float[] {(float) Math.log(3), 0}, new float[] {1, 1});
        CandidateScores s = CandidateScoring.score(new Candidate(-1, 2), refusal, harmfulAblated, induced, base, ablated);
        double uniform = Math.log(0.25 + 1e-8) - Math.log(0.75 + 1e-8);
        assertEquals(uniform, s.bypassScore(), 1e-15);
        assertEquals(uniform, s.induceScore(), 1e-15);
        double e = 1e-6;
        double kl0 = 0.5 * (Math.log(0.5 + e) - Math.log(0.75 + e)) + 0.5 * (Math.log(0.5 + e) - Math.log(0.25 + e));
        assertEquals(kl0 / 2, s.klScore(), 1e-7);
        assertThrows(IllegalArgumentException.class,
                () -> CandidateScoring.score(new Candidate(-1, 2), refusal, harmfulAblated, induced, base, List.of()));
    }

    @Test
    void scoreAllVisitsThePaperOrderAndHandsOverRawDirections() {
        double[] v = new double[2 * 3 * 1];
        for (int i = 0; i < v.length; i++) v[i] = i;
        CandidateDirections c = new CandidateDirections(2, 3, 1, v);
        List<Candidate> seen = new ArrayList<>();
        DirectionSelector sel = new DirectionSelector(new SelectionCriteria(3, 0.2, 0.1, 0.0));
        List<CandidateScores> all = sel.scoreAll(c, (cand, r) -> {
            seen.add(cand);
            return new CandidateScores(cand, -r[0], 1, 0);
        }, false);
        assertEquals(List.of(new Candidate(-2, 0), new Candidate(-2, 1), new Candidate(-2, 2),
                new Candidate(-1, 0), new Candidate(-1, 1), new Candidate(-1, 2)), seen);
        // int(3 * 0.8) = 2: layer 2 is late; the largest raw value among layers 0-1 is at (−1, 1) = 4.
        assertEquals(new Candidate(-1, 1), sel.select(all).selected().candidate());
        assertEquals(4, sel.scoreAll(c, (cand, r) -> new CandidateScores(cand, 0, 0, 0), true).size());
    }
}
