package dev.ortho.core.search;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The trials no other trial beats on both objectives (refusal score and damage, both minimized), sorted by refusal
 * score. Computed from the log itself, not from the optimizer's internal archive, so it covers every trial run.
 */
public final class ParetoFront {

    private ParetoFront() {}

    public static List<Trial> of(List<Trial> trials) {
        List<Trial> ok = trials.stream().filter(Trial::ok).toList();
        List<Trial> front = new ArrayList<>();
        for (Trial a : ok) {
            boolean dominated = false;
            for (Trial b : ok) {
                if (b != a && dominates(b.objectives(), a.objectives())) {
                    dominated = true;
                    break;
                }
            }
            if (!dominated) front.add(a);
        }
        front.sort(Comparator.comparingDouble((Trial t) -> t.objectives().refusalScore()).thenComparingInt(Trial::number));
        // Equal objectives (the same edit reached twice): keep the first.
        List<Trial> unique = new ArrayList<>();
        for (Trial t : front) {
            if (unique.isEmpty() || !same(unique.getLast().objectives(), t.objectives())) unique.add(t);
        }
        return unique;
    }

    static boolean dominates(TrialObjectives a, TrialObjectives b) {
        boolean noWorse = a.refusalScore() <= b.refusalScore() && a.damage() <= b.damage();
        boolean better = a.refusalScore() < b.refusalScore() || a.damage() < b.damage();
        return noWorse && better;
    }

    private static boolean same(TrialObjectives a, TrialObjectives b) {
        return a.refusalScore() == b.refusalScore() && a.damage() == b.damage();
    }
}
