package dev.ortho.core.search;

import java.util.List;
import java.util.Map;

/**
 * What {@code ortho search} found (search.json's report, rendered by the JSON writer and by report.html).
 *
 * @param baseline    the unedited model's objectives on the validation split (KL 0)
 * @param paper       the paper's selection the search started from (trial 0), or null when there was none
 * @param front       the Pareto front of refusal score against damage, lowest refusal score first
 * @param chosen      the front point under {@code maxKl} whose generations refuse least, or null when none is under it
 * @param command     the {@code ortho ablate} command line that writes the chosen edit, or null
 * @param path        the best refusal score under maxKl after each generation: the path the search took
 * @param heldout     with {@code --write}: the written checkpoint measured on the test split, else null
 * @param fragility   the fragility report when asked for, else null
 */
public record SearchReport(String model, String candidates, SearchSettings settings, String refusalTokens,
                           Baseline baseline, PaperStart paper, int trials, int failedTrials, List<FrontPoint> front, FrontPoint chosen,
                           String command, List<Generation> path, Heldout heldout, FragilityReport fragility,
                           Map<String, Double> seconds) {

    public SearchReport {
        front = List.copyOf(front);
        path = List.copyOf(path);
        seconds = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(seconds));
    }

    /**
     * The paper's edit of its selected candidate (or the reference's ignore-KL fallback), evaluated as trial 0.
     *
     * @param how                 "paper selection" or "fallback: ignore KL"
     * @param harmfulRefusalRate  its generations judged on the validation split (NaN when its KL is above --max-kl):
     *                            the search's choice is never one that refuses more than it
     * @param harmlessRefusalRate the same on harmless validation prompts
     */
    public record PaperStart(String how, int position, int layer, TrialObjectives objectives, double harmfulRefusalRate,
                             double harmlessRefusalRate) {}

    /** The original model on the validation split. */
    public record Baseline(double refusalScore, double harmfulRefusalRate, double harmlessRefusalRate, int harmfulPrompts,
                           int harmlessPrompts) {}

    /**
     * A point of the front.
     *
     * @param checked             whether its generations were judged (front points under maxKl, the best few)
     * @param harmfulRefusalRate  substring refusal rate of its greedy answers to the harmful validation prompts (NaN unchecked)
     * @param harmlessRefusalRate the same on the harmless ones
     */
    public record FrontPoint(int trial, SearchPoint point, TrialObjectives objectives, List<String> ablateArguments,
                             boolean checked, double harmfulRefusalRate, double harmlessRefusalRate) {
        public FrontPoint {
            ablateArguments = List.copyOf(ablateArguments);
        }
    }

    /** After a generation: evaluations so far, the best refusal score among trials under maxKl (NaN: none yet). */
    public record Generation(int evaluations, double bestRefusalScoreUnderMaxKl, int frontSize) {}

    /** The written edit on the held-out (test) split, next to the original model. */
    public record Heldout(String editedModel, boolean verifyOk, int harmfulPrompts, int harmlessPrompts,
                          double baselineHarmfulRefusalRate, double baselineHarmlessRefusalRate,
                          double editedHarmfulRefusalRate, double editedHarmlessRefusalRate, double firstTokenKl) {}
}
