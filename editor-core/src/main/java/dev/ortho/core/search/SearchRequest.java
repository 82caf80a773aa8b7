package dev.ortho.core.search;

import dev.ortho.core.arch.ArchChoice;
import dev.ortho.formats.InvalidInputException;

import java.nio.file.Path;
import java.util.List;

/**
 * One {@code ortho search}: the model, the prompt splits (train makes the candidates, validation scores the trials,
 * test measures the written edit), and where the results go.
 *
 * @param candidates  an existing candidates file (with harmless means) to search from; null: extract from train
 * @param resume      continue the trial log in {@code out}
 * @param write       write the chosen edit to {@code out/model}, verify it and measure it on the test split
 * @param fragilityThreshold with a number: also the fragility report (the smallest edit that brings held-out harmful
 *                    refusal under this rate); NaN: none
 * @param arch        {@code --arch} / {@code --arch-spec}
 */
public record SearchRequest(Path model, Path out, List<String> harmfulTrain, List<String> harmlessTrain,
                            List<String> harmfulVal, List<String> harmlessVal, List<String> harmfulTest, List<String> harmlessTest,
                            String refusalTokens, boolean filter, Path candidates, int batch, int threads, boolean resume,
                            boolean write, boolean force, List<String> commandLine, double fragilityThreshold, ArchChoice arch) {

    public SearchRequest {
        if (harmfulVal.isEmpty() || harmlessVal.isEmpty()) throw new InvalidInputException("ortho search needs validation prompts");
        if (candidates == null && (harmfulTrain.isEmpty() || harmlessTrain.isEmpty()))
            throw new InvalidInputException("ortho search needs training prompts (or --candidates)");
        if (write && (harmfulTest.isEmpty() || harmlessTest.isEmpty()))
            throw new InvalidInputException("--write measures the edit on test prompts: give them");
        commandLine = List.copyOf(commandLine);
        if (!Double.isNaN(fragilityThreshold) && (harmfulTest.isEmpty() || harmlessTest.isEmpty()))
            throw new InvalidInputException("the fragility report measures edits on test prompts: give them");
        if (!Double.isNaN(fragilityThreshold) && !(fragilityThreshold > 0 && fragilityThreshold <= 1))
            throw new InvalidInputException("--threshold must be a refusal rate in (0, 1], got " + fragilityThreshold);
    }
}
