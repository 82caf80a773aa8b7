package dev.ortho.core.pipeline;

import dev.ortho.core.eval.BaselineFilter;
import dev.ortho.core.runtime.Intervention;
import dev.ortho.formats.InvalidInputException;

import java.util.List;

/**
 * A prompt set after the baseline refusal-score filter of METHOD.md §2.2 (harmful kept when the score is > 0,
 * harmless when < 0), with the scores it was filtered on.
 */
public record FilteredPrompts(List<String> instructions, List<int[]> ids, double[] baselineScores, int[] kept) {

    public FilteredPrompts {
        instructions = List.copyOf(instructions);
        ids = List.copyOf(ids);
        baselineScores = baselineScores.clone();
        kept = kept.clone();
    }

    /**
     * @param harmful which side of zero to keep
     * @param filter  false keeps every prompt (scores are still computed)
     */
    public static FilteredPrompts of(ModelSession session, List<String> instructions, boolean harmful, int[] refusalIds,
                                     boolean filter, String what) {
        List<int[]> ids = session.encode(instructions);
        double[] scores = session.refusalScores(ids, Intervention.none(), refusalIds);
        int[] kept = !filter ? java.util.stream.IntStream.range(0, ids.size()).toArray()
                : harmful ? BaselineFilter.keepHarmful(scores) : BaselineFilter.keepHarmless(scores);
        if (kept.length == 0)
            throw new InvalidInputException("no " + what + " prompt passes the baseline refusal-score filter ("
                    + (harmful ? "score > 0" : "score < 0") + "); check the chat template and the refusal tokens");
        return new FilteredPrompts(BaselineFilter.select(instructions, kept), BaselineFilter.select(ids, kept), scores, kept);
    }

    @Override public double[] baselineScores() { return baselineScores.clone(); }
    @Override public int[] kept() { return kept.clone(); }
}
