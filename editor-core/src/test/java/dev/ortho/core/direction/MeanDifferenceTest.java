package dev.ortho.core.direction;

import dev.ortho.core.eval.Candidate;
import dev.ortho.core.eval.CandidateScores;
import dev.ortho.core.eval.DirectionSelector;
import dev.ortho.core.eval.SelectionCriteria;
import com.fasterxml.jackson.databind.JsonNode;
import dev.ortho.fixtures.SharedData;
import dev.ortho.formats.safetensors.SafetensorsFile;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class MeanDifferenceTest {

    /** positions 2, layers 1, hidden 2: prompt layout [position][layer][hidden]. */
    @Test
    void handComputedDifferenceOfMeans() {
        MeanDifference md = new MeanDifference(2, 1, 2);
        md.harmful().add(0, new float[] {1, 2, 3, 4});
        md.harmful().add(1, new float[] {3, 4, 5, 6});
        md.harmless().add(0, new float[] {0, 0, 1, 1});
        md.harmless().add(1, new float[] {0, 2, 1, 1});
        md.harmless().add(2, new float[] {0, 4, 1, 4});
        CandidateDirections c = md.candidates();
        // μ = (2, 3 | 4, 5), ν = (0, 2 | 1, 2)
        assertArrayEquals(new double[] {2, 1}, c.direction(-2, 0));
        assertArrayEquals(new double[] {3, 3}, c.direction(-1, 0));
        assertEquals(Math.sqrt(18), c.norm(-1, 0), 1e-15);
        assertThrows(IndexOutOfBoundsException.class, () -> c.direction(-3, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> c.direction(0, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> c.direction(-1, 1));
    }

    /**
     * Magnitudes spread over 30 decades, so float64 addition order matters ((1e30 + 1) − 1e30 = 0 but
     * 1 + (1e30 − 1e30) = 1): any arrival order and batching still gives the bits of the index-order sum.
     */
    @Test
    void resultIsIndependentOfArrivalOrderAndBatching() {
        float[][] prompts = new float[40][];
        Random rnd = new Random(1);
        for (int i = 0; i < prompts.length; i++) {
            prompts[i] = new float[6];
            for (int j = 0; j < 6; j++) prompts[i][j] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(30)));
        }
        ActivationMeans inOrder = new ActivationMeans(1, 3, 2);
        for (int i = 0; i < prompts.length; i++) inOrder.add(i, prompts[i]);
        double[] expected = inOrder.mean();

        // The index-order sum, computed by hand, is what mean() returns.
        double[] byHand = new double[6];
        for (float[] p : prompts) for (int j = 0; j < 6; j++) byHand[j] += p[j];
        for (int j = 0; j < 6; j++) assertEquals(byHand[j] / prompts.length, expected[j]);

        boolean someOrderDiffersNaively = false;
        for (int trial = 0; trial < 20; trial++) {
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < prompts.length; i++) order.add(i);
            Collections.shuffle(order, new Random(trial));
            ActivationMeans m = new ActivationMeans(1, 3, 2);
            double[] naive = new double[6];
            for (int i : order) {
                m.add(i, prompts[i]);
                for (int j = 0; j < 6; j++) naive[j] += prompts[i][j];
            }
            assertArrayEquals(expected, m.mean(), "trial " + trial);
            for (int j = 0; j < 6; j++) if (naive[j] / prompts.length != expected[j]) someOrderDiffersNaively = true;
        }
        assertTrue(someOrderDiffersNaively, "the data must be such that summing in arrival order would differ");

        // Batches of 7 arriving back to front.
        ActivationMeans batched = new ActivationMeans(1, 3, 2);
        for (int start = 35; start >= 0; start -= 7) {
            int n = Math.min(7, prompts.length - start);
            float[] flat = new float[n * 6];
            for (int b = 0; b < n; b++) System.arraycopy(prompts[start + b], 0, flat, b * 6, 6);
            batched.addBatch(start, n, flat);
        }
        assertArrayEquals(expected, batched.mean());
    }

    @Test
    void missingDuplicateAndMisshapenPrompts() {
        ActivationMeans m = new ActivationMeans(1, 1, 2);
        m.add(0, new float[] {1, 1});
        m.add(2, new float[] {1, 1});
        assertEquals(1, m.count());
        assertTrue(assertThrows(IllegalStateException.class, m::mean).getMessage().contains("prompt 1 is missing"));
        assertThrows(IllegalArgumentException.class, () -> m.add(2, new float[] {1, 1}));
        assertThrows(IllegalArgumentException.class, () -> m.add(0, new float[] {1, 1}));
        assertThrows(IllegalArgumentException.class, () -> m.add(1, new float[] {1}));
        m.add(1, new float[] {4, 4});
        assertArrayEquals(new double[] {2, 2}, m.mean());
        assertThrows(IllegalStateException.class, () -> new ActivationMeans(1, 1, 1).mean());
    }

    /**
     * The organism's stored mean differences, read through CandidateDirections with the paper's layout: every
     * candidate's norm equals reference.json's, and selecting with the reference scores picks the stored
     * direction bit for bit.
     */
    @Test
    void organismCandidatesLayoutAndSelectedDirection() {
        Path dir = SharedData.organism();
        JsonNode ref = SharedData.json(dir.resolve("reference.json"));
        double[] values;
        double[] direction;
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("direction.safetensors"))) {
            values = f.data(f.tensor("mean_diffs_f64")).toArray(ValueLayout.JAVA_DOUBLE_UNALIGNED);
            direction = f.data(f.tensor("direction_f64")).toArray(ValueLayout.JAVA_DOUBLE_UNALIGNED);
        }
        CandidateDirections c = new CandidateDirections(5, 8, 128, values);
        List<CandidateScores> scores = new ArrayList<>();
        for (JsonNode n : ref.get("candidates")) {
            int pos = n.get("position").asInt();
            int layer = n.get("layer").asInt();
            assertEquals(n.get("norm").asDouble(), c.norm(pos, layer), 1e-9 * Math.max(1, n.get("norm").asDouble()), pos + "," + layer);
            scores.add(new CandidateScores(new Candidate(pos, layer), n.get("bypass_score").asDouble(),
                    n.get("induce_score").asDouble(), n.get("kl_score").asDouble()));
        }
        Candidate chosen = new DirectionSelector(SelectionCriteria.paper(8)).select(scores).selected().candidate();
        assertArrayEquals(direction, c.direction(chosen.position(), chosen.layer()));
        assertEquals(0.0, c.norm(-3, 0), "layer-0 candidates at template positions are zero (METHOD.md §1)");
    }
}
