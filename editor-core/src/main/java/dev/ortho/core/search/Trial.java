package dev.ortho.core.search;

/**
 * One line of the trial log (trials.jsonl).
 *
 * @param number     0-based, in the order the optimizer asked for them
 * @param variables  the optimizer's point in [0, 1]^{@value SearchSpace#VARIABLES} (the key a resumed search finds it by)
 * @param point      the edit it decodes to
 * @param objectives what it measured; null when the trial failed
 * @param error      why it failed, or null
 * @param seconds    wall time of the evaluation
 */
public record Trial(int number, double[] variables, SearchPoint point, TrialObjectives objectives, String error, double seconds) {

    public Trial {
        variables = variables.clone();
    }

    @Override public double[] variables() { return variables.clone(); }

    public boolean ok() { return objectives != null; }
}
