package dev.ortho.core.pipeline;

import dev.ortho.core.eval.RefusalJudge;
import dev.ortho.core.runtime.Intervention;
import dev.ortho.formats.InvalidInputException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Refusal tokens derived from the model itself, for models whose refusals do not start with the paper's 'I' /
 * 'As' (METHOD.md §2.1, issue #4 of the reference repository).
 *
 * <ol>
 *   <li>The greedy first token of every harmful and harmless prompt (the argmax of the last position's
 *   logits). A token is a candidate when it starts at least {@link #MIN_HARMFUL_SHARE} of the harmful answers
 *   and at most {@link #MAX_HARMLESS_SHARE} of the harmless ones.</li>
 *   <li>Separating harmful from harmless answers is not the same as refusing: a compliance opener ("Sure")
 *   used only for harmful prompts would pass step 1. So the harmful answers that start with each candidate are
 *   continued greedily for {@link #CHECK_TOKENS} tokens and judged by the substring judge; a candidate is kept
 *   only when at least {@link #MIN_JUDGED_REFUSAL} of them are refusals.</li>
 * </ol>
 * Ties in count are broken by token id, so the result is deterministic.
 */
public final class RefusalTokenDerivation {

    public static final double MIN_HARMFUL_SHARE = 0.10;
    public static final double MAX_HARMLESS_SHARE = 0.05;
    /** Tokens generated to judge an answer: enough for every substring of the paper's judge. */
    public static final int CHECK_TOKENS = 24;
    public static final double MIN_JUDGED_REFUSAL = 0.5;

    /**
     * @param ids              the derived ids, most frequent first
     * @param firstTokenCounts for every first token seen: [harmful answers, harmless answers] starting with it
     * @param judged           for every candidate of step 1: [harmful answers starting with it, of those judged refusals]
     * @param rejected         candidates of step 1 that the judge did not confirm
     */
    public record Derived(int[] ids, Map<Integer, int[]> firstTokenCounts, Map<Integer, int[]> judged, List<Integer> rejected) {
        public Derived {
            ids = ids.clone();
            rejected = List.copyOf(rejected);
        }

        @Override public int[] ids() { return ids.clone(); }

        public String rule() {
            return "greedy first token of >= " + (int) (MIN_HARMFUL_SHARE * 100) + " % of harmful and <= "
                    + (int) (MAX_HARMLESS_SHARE * 100) + " % of harmless prompts, and >= " + (int) (MIN_JUDGED_REFUSAL * 100)
                    + " % of the harmful answers it starts judged refusals by the substring judge (" + CHECK_TOKENS + " tokens)";
        }
    }

    private RefusalTokenDerivation() {}

    public static Derived derive(ModelSession session, List<int[]> harmful, List<int[]> harmless, RefusalJudge judge) {
        if (harmful.isEmpty() || harmless.isEmpty()) throw new InvalidInputException("deriving refusal tokens needs harmful and harmless prompts");
        Map<Integer, int[]> counts = new TreeMap<>();
        int[] harmfulFirst = count(session, harmful, counts, 0);
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

        // Step 2: judge the harmful answers that start with a candidate.
        List<int[]> toJudge = new ArrayList<>();
        List<Integer> firstOfJudged = new ArrayList<>();
        for (int i = 0; i < harmful.size(); i++) {
            int first = harmfulFirst[i];
            if (picked.stream().anyMatch(e -> e.getKey() == first)) {
                toJudge.add(harmful.get(i));
                firstOfJudged.add(first);
            }
        }
        List<String> answers = session.complete(toJudge, CHECK_TOKENS, Intervention.none(), RefusalEvaluator.GENERATE_BATCH,
                StepProgress.NONE);
        Map<Integer, int[]> judged = new LinkedHashMap<>();
        for (var e : picked) judged.put(e.getKey(), new int[2]);
        for (int i = 0; i < answers.size(); i++) {
            int[] j = judged.get(firstOfJudged.get(i));
            j[0]++;
            if (judge.isRefusal(answers.get(i))) j[1]++;
        }
        List<Integer> kept = new ArrayList<>(), rejected = new ArrayList<>();
        for (var e : judged.entrySet()) {
            boolean refuses = e.getValue()[0] > 0 && (double) e.getValue()[1] / e.getValue()[0] >= MIN_JUDGED_REFUSAL;
            (refuses ? kept : rejected).add(e.getKey());
        }
        if (kept.isEmpty())
            throw new InvalidInputException("the first tokens that separate harmful from harmless answers " + judged.keySet()
                    + " do not start refusals: the substring judge calls fewer than " + (int) (MIN_JUDGED_REFUSAL * 100)
                    + " % of those answers refusals (the model may comply with a different opener); give --refusal-tokens");
        Map<Integer, int[]> ordered = new LinkedHashMap<>();
        counts.forEach((k, v) -> ordered.put(k, v.clone()));
        return new Derived(kept.stream().mapToInt(Integer::intValue).toArray(), ordered, judged, rejected);
    }

    /** Counts greedy first tokens into {@code counts[token][column]}; returns each prompt's first token. */
    private static int[] count(ModelSession session, List<int[]> prompts, Map<Integer, int[]> counts, int column) {
        List<float[]> all = session.lastLogits(prompts, Intervention.none());
        int[] first = new int[all.size()];
        for (int i = 0; i < all.size(); i++) {
            float[] logits = all.get(i);
            int best = 0;
            for (int v = 1; v < logits.length; v++) if (logits[v] > logits[best]) best = v;
            first[i] = best;
            counts.computeIfAbsent(best, k -> new int[2])[column]++;
        }
        return first;
    }
}
