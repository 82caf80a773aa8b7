package dev.ortho.core.pipeline;

import java.util.List;

/**
 * Refusal on one prompt set under one condition (METHOD.md §5): the fraction of greedy completions the
 * substring judge calls refusals, and the mean refusal score of the prompts' first tokens.
 *
 * @param condition   e.g. "baseline", "ablation", "actadd +1.0 @ layer 4", "weight edit"
 * @param promptSet   e.g. "harmful", "harmless"
 */
public record RefusalEvaluation(String condition, String promptSet, double refusalRate, double meanRefusalScore,
                                int maxNewTokens, List<PromptVerdict> prompts) {

    public RefusalEvaluation {
        prompts = List.copyOf(prompts);
    }

    public int refused() {
        return (int) prompts.stream().filter(PromptVerdict::refused).count();
    }
}
