package dev.ortho.core.search;

import dev.ortho.formats.InvalidInputException;

/**
 * How {@code ortho search} searches; written to search.json, and a resumed search must use the same values
 * (except the number of trials, which may grow).
 *
 * @param trials             points evaluated (rounded up to whole generations)
 * @param seed               seed of the optimizer: the same seed asks for the same points
 * @param population         NSGA-II population (points per generation)
 * @param maxKl              first-token KL bound of the chosen point (validation split)
 * @param continuationTokens greedy tokens after each harmless prompt for the continuation KL
 * @param maxNewTokens       tokens generated when judging refusals by substrings
 * @param checkPoints        front points under maxKl whose generations are judged, lowest refusal score first
 * @param maxDirections      largest k tried
 */
public record SearchSettings(int trials, long seed, int population, double maxKl, int continuationTokens, int maxNewTokens,
                             int checkPoints, int maxDirections, boolean biproject, boolean normPreserving) {

    /** The defaults of {@code ortho search} (also used by {@code ortho run --fallback search}). */
    public static final int DEFAULT_TRIALS = 160, DEFAULT_POPULATION = 16, DEFAULT_CONTINUATION_TOKENS = 16, DEFAULT_CHECK = 5,
            DEFAULT_MAX_DIRECTIONS = 3;

    public SearchSettings {
        if (trials < 1) throw new InvalidInputException("--trials must be >= 1, got " + trials);
        if (population < 4 || population % 2 != 0) throw new InvalidInputException("--population must be an even number >= 4, got " + population);
        if (!(maxKl > 0)) throw new InvalidInputException("--max-kl must be > 0, got " + maxKl);
        if (continuationTokens < 0) throw new InvalidInputException("--continuation-tokens must be >= 0");
        if (maxNewTokens < 1) throw new InvalidInputException("--max-new-tokens must be >= 1");
        if (checkPoints < 1) throw new InvalidInputException("--check must be >= 1");
        if (maxDirections < 1) throw new InvalidInputException("--max-directions must be >= 1");
    }

    /** Whether a resumed search can continue a log written with {@code other}. */
    public boolean resumable(SearchSettings other) {
        return seed == other.seed && population == other.population && continuationTokens == other.continuationTokens
                && maxDirections == other.maxDirections && biproject == other.biproject && normPreserving == other.normPreserving;
    }
}
