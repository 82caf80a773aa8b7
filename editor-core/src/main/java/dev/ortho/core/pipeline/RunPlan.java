package dev.ortho.core.pipeline;

import dev.ortho.core.arch.ArchChoice;
import dev.ortho.formats.InvalidInputException;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@code ortho run} works on: the model, the six prompt sets (train for the means, val for selection,
 * test for the before/after evaluation) and the settings of each step.
 *
 * @param refusalTokens comma-separated strings, or {@code auto}
 * @param pruneLayers   late-layer fraction of the selection filter (paper 0.2)
 * @param maxKl         KL filter of selection (paper 0.1)
 * @param minInduce     induce filter of selection (paper 0.0)
 * @param fallback      what to do when every candidate is filtered out
 * @param commandLine   for the manifest of the edited checkpoint
 * @param arch          {@code --arch} / {@code --arch-spec}: how the model is described
 * @param weightsF32    {@code --weights-f32}: widen BF16/F16 weights once into float32 (faster, 2x the memory)
 */
public record RunPlan(Path model, Path out, boolean force,
                      List<String> harmfulTrain, List<String> harmlessTrain,
                      List<String> harmfulVal, List<String> harmlessVal,
                      List<String> harmfulTest, List<String> harmlessTest,
                      String refusalTokens, boolean filter, double pruneLayers, double maxKl, double minInduce,
                      Fallback fallback, int maxNewTokens, int batch, int threads, String tiedPolicy, List<String> commandLine,
                      ArchChoice arch, boolean weightsF32) {

    /** When no candidate survives selection. */
    public enum Fallback {
        /** Stop with the diagnosis (exit 2). */
        NONE,
        /** The reference's own fallback: the lowest bypass score among candidates that only fail the KL filter. */
        IGNORE_KL,
        /** Continue with {@code ortho search}. */
        SEARCH;

        public static Fallback parse(String s) {
            return switch (s.strip().toLowerCase(java.util.Locale.ROOT)) {
                case "none" -> NONE;
                case "ignore-kl" -> IGNORE_KL;
                case "search" -> SEARCH;
                default -> throw new InvalidInputException("--fallback must be none, ignore-kl or search, got '" + s + "'");
            };
        }
    }

    public RunPlan {
        for (var e : List.of(harmfulTrain, harmlessTrain, harmfulVal, harmlessVal, harmfulTest, harmlessTest))
            if (e.isEmpty()) throw new InvalidInputException("ortho run: every prompt set (train, val, test; harmful and harmless) needs prompts");
        if (!(pruneLayers >= 0 && pruneLayers < 1)) throw new InvalidInputException("--prune-layers must be in [0, 1), got " + pruneLayers);
        if (Double.isNaN(maxKl) || Double.isNaN(minInduce)) throw new InvalidInputException("--max-kl and --min-induce must be numbers");
        if (maxNewTokens < 1) throw new InvalidInputException("--max-new-tokens must be >= 1, got " + maxNewTokens);
        commandLine = List.copyOf(commandLine);
    }

    /** The runtime settings of every model session of the run. */
    public dev.ortho.core.runtime.RuntimeOptions runtimeOptions() {
        return dev.ortho.core.runtime.RuntimeOptions.defaults().withThreads(threads).withWeightsF32(weightsF32);
    }

    /** Train / val / test split of one file in file order: the first 60 %, the next 20 %, the rest. */
    public record Split(List<String> train, List<String> val, List<String> test) {
        public static Split of(List<String> all, String what) {
            if (all.size() < 5) throw new InvalidInputException(what + " has " + all.size() + " prompts; ortho run needs at least 5 to split"
                    + " into train, val and test (or give --harmful-val/--harmful-test files)");
            int train = (int) Math.round(all.size() * 0.6), val = (int) Math.round(all.size() * 0.2);
            return new Split(all.subList(0, train), all.subList(train, train + val), all.subList(train + val, all.size()));
        }
    }
}
