package dev.ortho.core.search;

import dev.ortho.core.edit.LayerKernel;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ParetoFrontTest {

    private static final SearchPoint P = new SearchPoint(-1, 4, 1, false, false, true, new LayerKernel(3.5, 1, 1, 7.5),
            new LayerKernel(3.5, 1, 1, 7.5));

    private static Trial t(int n, double refusal, double kl, double cont) {
        return new Trial(n, new double[SearchSpace.VARIABLES], P, new TrialObjectives(refusal, kl, cont), null, 0);
    }

    @Test
    void keepsTheNonDominatedTrialsSortedByRefusal() {
        List<Trial> all = List.of(t(0, 5, 0, 0), t(1, 1, 0.2, 0.1), t(2, 2, 0.1, 0.1), t(3, 2, 0.3, 0.0), t(4, 1, 0.3, 0.1),
                new Trial(5, new double[SearchSpace.VARIABLES], P, null, "failed", 0), t(6, -1, 1, 1), t(7, 2, 0.1, 0.1));
        List<Integer> front = ParetoFront.of(all).stream().map(Trial::number).toList();
        // 3 (2, 0.3) is dominated by 2 (2, 0.2); 4 (1, 0.4) by 1 (1, 0.3); 7 repeats 2; 5 failed.
        assertEquals(List.of(6, 1, 2, 0), front);
    }
}
