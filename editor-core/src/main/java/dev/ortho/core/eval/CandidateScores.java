package dev.ortho.core.eval;

import java.util.Objects;

/**
 * The three selection scores of one candidate (METHOD.md §2.3), each a mean over the filtered validation
 * prompts:
 *
 * @param bypassScore mean refusal score on harmful val with r ablated at all layers (JSON key {@code refusal_score})
 * @param induceScore mean refusal score on harmless val with +1·r added at the candidate's layer ({@code steering_score})
 * @param klScore     mean first-token KL(base ‖ ablated) on harmless val ({@code kl_div_score})
 */
public record CandidateScores(Candidate candidate, double bypassScore, double induceScore, double klScore) {

    public CandidateScores {
        Objects.requireNonNull(candidate, "candidate");
    }

    public boolean anyNaN() { return Double.isNaN(bypassScore) || Double.isNaN(induceScore) || Double.isNaN(klScore); }
}
