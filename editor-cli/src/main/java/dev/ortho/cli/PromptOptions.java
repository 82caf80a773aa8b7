package dev.ortho.cli;

import dev.ortho.core.pipeline.ModelSession;
import dev.ortho.core.pipeline.RefusalTokenChoice;
import dev.ortho.core.runtime.RuntimeOptions;
import dev.ortho.core.text.InstructionFiles;
import dev.ortho.core.text.TextTokenizer;
import dev.ortho.formats.InvalidInputException;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Options shared by the pipeline commands: how prompt files are read, refusal tokens, batching, threads. */
final class PromptOptions {

    @Option(names = "--field", paramLabel = "NAME", defaultValue = InstructionFiles.DEFAULT_CSV_COLUMN,
            description = "Field of JSON objects / CSV column holding the instruction (default ${DEFAULT-VALUE}).")
    String field;

    @Option(names = "--refusal-tokens", paramLabel = "LIST", defaultValue = "I,As",
            description = "Refusal tokens of the refusal score, as text (default ${DEFAULT-VALUE}); a string that is not one token of"
                    + " the model's tokenizer is dropped with a warning. 'auto' derives them from the model's greedy first tokens on the"
                    + " harmful vs harmless prompts, keeping those whose answers the substring judge calls refusals.")
    String refusalTokens;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "32", description = "Prompts per forward pass (default ${DEFAULT-VALUE}).")
    int batch;

    @Mixin ThreadsOption threadsOption;

    @Option(names = "--weights-f32", description = WeightsOption.DESCRIPTION)
    boolean weightsF32;

    @Option(names = "--no-progress", description = "Do not draw progress bars.")
    boolean noProgress;

    /** The runtime settings these options give (threads, the float32 arena). */
    RuntimeOptions runtimeOptions() { return runtimeOptions(threads(), weightsF32); }

    /** ONNX Runtime threads: 0 lets it use every core. */
    int threads() { return threadsOption.forRuntime(); }

    static RuntimeOptions runtimeOptions(int threads, boolean weightsF32) {
        return RuntimeOptions.defaults().withThreads(threads).withWeightsF32(weightsF32);
    }

    List<String> read(Path file) {
        return InstructionFiles.read(file, field);
    }

    boolean autoRefusalTokens() {
        return RefusalTokenChoice.isAuto(refusalTokens);
    }

    /** The refusal tokens: given (single-token strings; others dropped with a warning), or derived with 'auto'. */
    RefusalTokenChoice refusalTokens(ModelSession s, List<int[]> harmful, List<int[]> harmless) {
        return RefusalTokenChoice.resolve(refusalTokens, s, () -> harmful, () -> harmless);
    }

    /** The given refusal tokens, for commands without harmful and harmless prompts to derive them from. */
    RefusalTokenChoice refusalTokens(TextTokenizer tok) {
        if (autoRefusalTokens())
            throw new InvalidInputException("--refusal-tokens auto needs harmful and harmless prompts (extract, select, run); give the tokens");
        return RefusalTokenChoice.given(tok, RefusalTokenChoice.split(refusalTokens));
    }

    void check() {
        if (batch < 1) throw new InvalidInputException("--batch must be >= 1, got " + batch);
        threads();
    }

    /** The first {@code n} prompts (all when n is null). */
    static List<String> limit(List<String> prompts, Integer n) {
        return sample(prompts, n, null);
    }

    /**
     * {@code n} prompts: the first n, or with a seed n drawn without replacement by a seeded Fisher–Yates
     * shuffle ({@link java.util.Random}; not Python's {@code random.sample}, so it does not redraw the paper's
     * seed-42 lists) and kept in file order. All prompts when n is null.
     */
    static List<String> sample(List<String> prompts, Integer n, Long seed) {
        if (n == null) {
            if (seed != null) throw new InvalidInputException("--seed needs --n");
            return prompts;
        }
        if (n < 1) throw new InvalidInputException("--n must be >= 1, got " + n);
        if (seed == null || n >= prompts.size()) return prompts.subList(0, Math.min(n, prompts.size()));
        int[] idx = java.util.stream.IntStream.range(0, prompts.size()).toArray();
        java.util.Random rnd = new java.util.Random(seed);
        for (int i = idx.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        int[] chosen = java.util.Arrays.copyOf(idx, n);
        java.util.Arrays.sort(chosen);
        List<String> out = new ArrayList<>(n);
        for (int i : chosen) out.add(prompts.get(i));
        return out;
    }
}
