package dev.ortho.core.pipeline;

import dev.ortho.core.runtime.Intervention;
import dev.ortho.formats.InvalidInputException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Refusal tokens derived from the model itself, for models whose refusals do not start with the paper's 'I' /
 * 'As' (METHOD.md §2.1, issue #4 of the reference repository): the greedy first token of every harmful and
 * harmless prompt (the argmax of the last position's logits, the token greedy decoding would emit first).
 * A token is a refusal token when it starts at least {@link #MIN_HARMFUL_SHARE} of the harmful answers and at
 * most {@link #MAX_HARMLESS_SHARE} of the harmless ones; ties in count are broken by token id, so the result
 * is deterministic.
 */
public final class RefusalTokenDerivation {

    public static final double MIN_HARMFUL_SHARE = 0.10;
    public static final double MAX_HARMLESS_SHARE = 0.05;

    /** The derived ids and, for every first token seen, how many harmful and harmless answers start with it. */
    public record Derived(int[] ids, Map<Integer, int[]> firstTokenCounts) {
        public Derived {
            ids = ids.clone();
        }

        @Override public int[] ids() { return ids.clone(); }
    }

    private RefusalTokenDerivation() {}

    public static Derived derive(ModelSession session, List<int[]> harmful, List<int[]> harmless) {
        if (harmful.isEmpty() || harmless.isEmpty()) throw new InvalidInputException("deriving refusal tokens needs harmful and harmless prompts");
        Map<Integer, int[]> counts = new TreeMap<>();
        count(session, harmful, counts, 0);
        count(session, harmless, counts, 1);
        List<Map.Entry<Integer, int[]>> picked = new ArrayList<>();
        for (var e : counts.entrySet()) {
            double h = (double) e.getValue()[0] / harmful.size(), l = (double) e.getValue()[1] / harmless.size();
            if (h >= MIN_HARMFUL_SHARE && l <= MAX_HARMLESS_SHARE) picked.add(e);
        }
        if (picked.isEmpty())
            throw new InvalidInputException("no first token starts at least " + (int) (MIN_HARMFUL_SHARE * 100)
                    + " % of the model's answers to harmful prompts and at most " + (int) (MAX_HARMLESS_SHARE * 100)
                    + " % of its answers to harmless ones: the model may not refuse; give --refusal-tokens");
        picked.sort((a, b) -> b.getValue()[0] != a.getValue()[0] ? Integer.compare(b.getValue()[0], a.getValue()[0])
                : Integer.compare(a.getKey(), b.getKey()));
        Map<Integer, int[]> ordered = new LinkedHashMap<>();
        counts.forEach((k, v) -> ordered.put(k, v.clone()));
        return new Derived(picked.stream().mapToInt(Map.Entry::getKey).toArray(), ordered);
    }

    private static void count(ModelSession session, List<int[]> prompts, Map<Integer, int[]> counts, int column) {
        for (float[] logits : session.lastLogits(prompts, Intervention.none())) {
            int best = 0;
            for (int v = 1; v < logits.length; v++) if (logits[v] > logits[best]) best = v;
            counts.computeIfAbsent(best, k -> new int[2])[column]++;
        }
    }
}
