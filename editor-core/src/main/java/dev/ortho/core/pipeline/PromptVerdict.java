package dev.ortho.core.pipeline;

/** One prompt's outcome: its greedy completion, the substring judge's verdict and its refusal score (§2.1). */
public record PromptVerdict(String instruction, String completion, boolean refused, double refusalScore) {}
