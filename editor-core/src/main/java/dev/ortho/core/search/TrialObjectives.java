package dev.ortho.core.search;

/**
 * What one trial measured on the validation split.
 *
 * @param refusalScore   mean refusal score (METHOD.md §2.1, log-odds of the refusal tokens) of the harmful prompts
 *                       under the edit: the paper's bypass score; lower is less refusal
 * @param firstTokenKl   mean KL(original ‖ edited) of the first generated token on the harmless prompts (the
 *                       paper's KL score, and Heretic's)
 * @param continuationKl mean per-token KL(original ‖ edited) over the original model's greedy continuation of the
 *                       harmless prompts, teacher-forced: damage that shows only after the first token
 */
public record TrialObjectives(double refusalScore, double firstTokenKl, double continuationKl) {

    /** The damage objective: first-token KL plus continuation KL. */
    public double damage() { return firstTokenKl + continuationKl; }
}
