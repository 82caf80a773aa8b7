package dev.ortho.core.pipeline;

import java.util.List;
import java.util.Map;

/**
 * report.json of {@code ortho run}: everything the pipeline measured, typed. The JSON writer and the HTML
 * report both render this record.
 *
 * @param method        how the direction was chosen: "paper selection", "fallback: ignore KL", ...
 * @param candidates    the whole selection table (also in {@code selection.candidates()})
 * @param refusal       refusal rate per condition and prompt set, in evaluation order
 * @param crossEntropy  CE of the harmless test prompts' baseline completions under each condition (METHOD.md §5.4
 *                      "on-distribution"); the less it rises over the baseline's, the less the edit damaged
 * @param seconds       wall time per step, in order
 */
public record RunReport(String model, String architecture, int numLayers, int hiddenSize, int[] eoiTokenIds,
                        RefusalTokenChoice refusalTokens, PromptCounts promptCounts, ExtractSummary extract,
                        SelectionReport selection, String method, List<SelectionRow> candidates, AblateSummary ablate,
                        Comparison compare, Equivalence equivalence, Cosines cosineWithDirection, List<Rate> refusal,
                        List<CrossEntropy> crossEntropy, List<RefusalEvaluation> evaluations, int maxNewTokens,
                        Map<String, Double> seconds) {

    public RunReport {
        eoiTokenIds = eoiTokenIds.clone();
        candidates = List.copyOf(candidates);
        refusal = List.copyOf(refusal);
        crossEntropy = List.copyOf(crossEntropy);
        evaluations = List.copyOf(evaluations);
        seconds = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(seconds));
    }

    @Override public int[] eoiTokenIds() { return eoiTokenIds.clone(); }

    /** Whether the run's own checks passed: the edit verified and, where it should, equals hook ablation. */
    public boolean checksPassed() { return ablate.verifyOk() && equivalence.ok(); }

    public record PromptCounts(int harmfulTrain, int harmlessTrain, int harmfulVal, int harmlessVal, int harmfulTest, int harmlessTest) {}

    public record ExtractSummary(int harmfulKept, int harmlessKept) {}

    /** The weight edit and its verification ({@code ortho verify --original}): checks made, failed, not applicable. */
    public record AblateSummary(String out, int editedTensors, boolean untied, boolean verifyOk, int verifyChecks, int verifyFailures,
                                int verifyNotApplicable, List<String> verifyMessages) {
        public AblateSummary {
            verifyMessages = List.copyOf(verifyMessages);
        }
    }

    /**
     * First-token comparisons on the test prompts.
     *
     * @param klEditedVsOriginalHarmless per harmless test prompt
     */
    public record Comparison(double[] klEditedVsOriginalHarmless, double klEditedVsOriginalHarmlessMean,
                             double klHookVsOriginalHarmlessMean, double maxAbsLogitDiffEditedVsHookHarmful,
                             double maxAbsLogitDiffEditedVsHookHarmless, double klEditedVsHookHarmfulMean) {
        public Comparison {
            klEditedVsOriginalHarmless = klEditedVsOriginalHarmless.clone();
        }

        @Override public double[] klEditedVsOriginalHarmless() { return klEditedVsOriginalHarmless.clone(); }
    }

    /**
     * Whether the weight edit equals inference-time directional ablation ({@link dev.ortho.core.verify.HookEquivalence}).
     *
     * @param applicable false where equality is not expected (a tied head edited with the embedding, an
     *                   approximate post-norm edit): then {@code ok} is true and {@code reason} says why
     * @param maxAbsLogitDiff largest |logit difference| over both test sets
     * @param tolerance  the bound for this checkpoint's dtype (NaN when not applicable)
     */
    public record Equivalence(boolean applicable, double maxAbsLogitDiff, double tolerance, boolean ok, String reason) {}

    /** Mean cos(residual at the last position, r̂) at each layer input and the final residual (METHOD.md §8). */
    public record Cosines(double[] harmful, double[] harmless) {
        public Cosines {
            harmful = harmful.clone();
            harmless = harmless.clone();
        }

        @Override public double[] harmful() { return harmful.clone(); }
        @Override public double[] harmless() { return harmless.clone(); }
    }

    public record Rate(String condition, String promptSet, double refusalRate, double meanRefusalScore, int refused, int prompts) {}

    /** Cross-entropy (nats per token) of the baseline's harmless completions under a condition, and exp(CE). */
    public record CrossEntropy(String condition, double crossEntropy, double perplexity, long tokens) {}
}
