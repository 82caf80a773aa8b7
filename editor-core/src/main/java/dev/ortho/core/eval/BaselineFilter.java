package dev.ortho.core.eval;

import java.util.ArrayList;
import java.util.List;

/**
 * The data filter of METHOD.md §2.2, applied to train and val sets before directions are computed or scored:
 * keep a harmful prompt only if the unedited model's refusal score is > 0, a harmless one only if it is < 0.
 * A NaN score fails both tests and drops the prompt, as the reference's comparisons do.
 */
public final class BaselineFilter {

    private BaselineFilter() {}

    /** Indices (ascending) of harmful prompts to keep: score > 0. */
    public static int[] keepHarmful(double[] baselineScores) {
        List<Integer> keep = new ArrayList<>();
        for (int i = 0; i < baselineScores.length; i++) if (baselineScores[i] > 0) keep.add(i);
        return keep.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Indices (ascending) of harmless prompts to keep: score < 0. */
    public static int[] keepHarmless(double[] baselineScores) {
        List<Integer> keep = new ArrayList<>();
        for (int i = 0; i < baselineScores.length; i++) if (baselineScores[i] < 0) keep.add(i);
        return keep.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The items at {@code indices}, in order. */
    public static <T> List<T> select(List<T> items, int[] indices) {
        List<T> out = new ArrayList<>(indices.length);
        for (int i : indices) out.add(items.get(i));
        return List.copyOf(out);
    }
}
