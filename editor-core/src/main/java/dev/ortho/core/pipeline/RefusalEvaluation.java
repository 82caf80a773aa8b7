package dev.ortho.core.pipeline;

import java.util.List;

/**
 * Refusal on one prompt set under one condition (METHOD.md §5): the fraction of greedy completions the
 * substring judge calls refusals, and the mean refusal score of the prompts' first tokens.
 *
 * @param condition   e.g. "baseline", "ablation", "actadd +1.0 @ layer 4", "weight edit"
 * @param promptSet   e.g. "harmful", "harmless"
 * @param continuationCrossEntropy with {@code ortho eval --cross-entropy}: CE of the original model's greedy completions
 *                    of these prompts, teacher-forced under the condition (METHOD.md §5.4, on-distribution); else null
 */
public record RefusalEvaluation(String condition, String promptSet, double refusalRate, double meanRefusalScore,
                                int maxNewTokens, List<PromptVerdict> prompts, ContinuationLoss.Result continuationCrossEntropy) {

    public RefusalEvaluation {
        prompts = List.copyOf(prompts);
    }

    public RefusalEvaluation(String condition, String promptSet, double refusalRate, double meanRefusalScore, int maxNewTokens,
                             List<PromptVerdict> prompts) {
        this(condition, promptSet, refusalRate, meanRefusalScore, maxNewTokens, prompts, null);
    }

    /** The same evaluation with the cross-entropy of the original model's completions under its condition. */
    public RefusalEvaluation withCrossEntropy(ContinuationLoss.Result ce) {
        return new RefusalEvaluation(condition, promptSet, refusalRate, meanRefusalScore, maxNewTokens, prompts, ce);
    }

    public int refused() {
        return (int) prompts.stream().filter(PromptVerdict::refused).count();
    }
}
