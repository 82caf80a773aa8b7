package dev.ortho.core.eval;

import dev.ortho.core.direction.CandidateDirections;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** scoreAll hands a batching scorer chunks of its capacity, in the paper's order, with each candidate's direction. */
class ScoreAllChunkingTest {

    @Test
    void chunksFollowTheScorersCapacityAndThePapersOrder() {
        // 2 positions × 5 layers × hidden 1; each value is its candidate's index in the paper's order.
        double[] v = new double[10];
        for (int i = 0; i < v.length; i++) v[i] = i;
        CandidateDirections dirs = new CandidateDirections(2, 5, 1, v);
        List<Integer> chunkSizes = new ArrayList<>();
        CandidateScorer scorer = new CandidateScorer() {
            @Override
            public CandidateScores score(Candidate c, double[] r) {
                return new CandidateScores(c, r[0], 0, 0);
            }

            @Override
            public List<CandidateScores> scoreBatch(List<Candidate> cs, List<double[]> rs) {
                chunkSizes.add(cs.size());
                return CandidateScorer.super.scoreBatch(cs, rs);
            }

            @Override
            public int batchCapacity() { return 3; }
        };
        List<CandidateScores> all = new DirectionSelector(SelectionCriteria.paper(5)).scoreAll(dirs, scorer, false);
        assertEquals(List.of(3, 3, 3, 1), chunkSizes);
        for (int i = 0; i < all.size(); i++) {
            Candidate c = all.get(i).candidate();
            assertEquals(new Candidate(-2 + i / 5, i % 5), c);
            assertEquals(i, all.get(i).bypassScore());
        }
        // Late layers skipped: paper(5) keeps layers 0..3, 8 candidates.
        chunkSizes.clear();
        assertEquals(8, new DirectionSelector(SelectionCriteria.paper(5)).scoreAll(dirs, scorer, true).size());
        assertEquals(List.of(3, 3, 2), chunkSizes);
    }
}
