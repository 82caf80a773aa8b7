package dev.ortho.core.runtime;

import java.util.List;

/**
 * @param tokens   per prompt, the generated ids (prompt excluded; the EOS token, when reached, included)
 * @param stoppedAtEos per prompt, whether it ended on EOS rather than the token budget
 */
public record GenerationResult(List<int[]> tokens, List<Boolean> stoppedAtEos) {}
