package dev.ortho.cli;

import dev.ortho.formats.InvalidInputException;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@code ortho run} works on: the model, the six prompt sets (train for the means, val for selection,
 * test for the before/after evaluation) and the settings of each step.
 */
record RunPlan(Path model, Path out, boolean force,
               List<String> harmfulTrain, List<String> harmlessTrain,
               List<String> harmfulVal, List<String> harmlessVal,
               List<String> harmfulTest, List<String> harmlessTest,
               String refusalTokens, boolean filter, double pruneLayers, double maxKl, double minInduce,
               int maxNewTokens, int batch, int threads, String tiedPolicy, boolean weightsF32) {

    RunPlan {
        for (var e : List.of(harmfulTrain, harmlessTrain, harmfulVal, harmlessVal, harmfulTest, harmlessTest))
            if (e.isEmpty()) throw new InvalidInputException("ortho run: every prompt set (train, val, test; harmful and harmless) needs prompts");
    }

    /** Train / val / test split of one file in file order: the first 60 %, the next 20 %, the rest. */
    record Split(List<String> train, List<String> val, List<String> test) {
        static Split of(List<String> all, String what) {
            if (all.size() < 5) throw new InvalidInputException(what + " has " + all.size() + " prompts; ortho run needs at least 5 to split"
                    + " into train, val and test (or give --harmful-val/--harmful-test files)");
            int train = (int) Math.round(all.size() * 0.6), val = (int) Math.round(all.size() * 0.2);
            return new Split(all.subList(0, train), all.subList(train, train + val), all.subList(train + val, all.size()));
        }
    }
}
