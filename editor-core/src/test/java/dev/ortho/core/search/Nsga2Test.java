package dev.ortho.core.search;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The optimizer on ZDT1 (a standard two-objective test problem): seeded, it asks for the same points; it converges. */
class Nsga2Test {

    private static double[] zdt1(double[] x) {
        double g = 0;
        for (int i = 1; i < x.length; i++) g += x[i];
        g = 1 + 9 * g / (x.length - 1);
        return new double[]{x[0], g * (1 - Math.sqrt(x[0] / g))};
    }

    private static List<double[]> run(long seed, List<double[]> start) {
        List<double[]> asked = new ArrayList<>();
        Nsga2.run(6, 2, 16, 640, seed, start, x -> {
            asked.add(x.clone());
            return zdt1(x);
        }, n -> { });
        return asked;
    }

    @Test
    void theSameSeedAsksForTheSamePointsAndStartPointsComeFirst() {
        List<double[]> a = run(7, List.of()), b = run(7, List.of()), c = run(8, List.of());
        assertEquals(a.size(), b.size());
        assertEquals(640, a.size(), "whole generations of 16");
        for (int i = 0; i < a.size(); i++) assertArrayEquals(a.get(i), b.get(i));
        assertFalse(java.util.Arrays.equals(a.get(20), c.get(20)), "another seed explores elsewhere");
        double[] start = {0.5, 0, 0, 0, 0, 0};
        assertArrayEquals(start, run(7, List.of(start)).getFirst());
    }

    @Test
    void itConvergesTowardTheTrueFront() {
        List<double[]> asked = run(3, List.of());
        // On ZDT1's true front g = 1: f2 = 1 - sqrt(f1). The last generation should be close.
        double worst = 0;
        for (double[] x : asked.subList(asked.size() - 16, asked.size())) {
            double[] f = zdt1(x);
            worst = Math.max(worst, f[1] - (1 - Math.sqrt(f[0])));
        }
        assertTrue(worst < 0.5, "distance to the front " + worst);
    }
}
