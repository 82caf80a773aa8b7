package dev.ortho.cli;

import dev.ortho.core.text.InstructionFiles;
import dev.ortho.core.text.RefusalTokens;
import dev.ortho.core.text.TextTokenizer;
import dev.ortho.formats.InvalidInputException;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** Options shared by the pipeline commands: how prompt files are read, refusal tokens, batching, threads. */
final class PromptOptions {

    @Option(names = "--field", paramLabel = "NAME", defaultValue = InstructionFiles.DEFAULT_CSV_COLUMN,
            description = "Field of JSON objects / CSV column holding the instruction (default ${DEFAULT-VALUE}).")
    String field;

    @Option(names = "--refusal-tokens", paramLabel = "LIST", defaultValue = "I,As",
            description = "Refusal tokens of the refusal score, as text, each one token (default ${DEFAULT-VALUE}).")
    String refusalTokens;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "32", description = "Prompts per forward pass (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0", description = "ONNX Runtime threads (default: all cores).")
    int threads;

    @Option(names = "--no-progress", description = "Do not draw progress bars.")
    boolean noProgress;

    List<String> read(Path file) {
        return InstructionFiles.read(file, field);
    }

    int[] refusalIds(TextTokenizer tok) {
        List<String> strings = Arrays.stream(refusalTokens.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
        return RefusalTokens.resolve(tok, strings);
    }

    void check() {
        if (batch < 1) throw new InvalidInputException("--batch must be >= 1, got " + batch);
        if (threads < 0) throw new InvalidInputException("--threads must be >= 0, got " + threads);
    }

    /** The first {@code n} prompts (all when n is null). */
    static List<String> limit(List<String> prompts, Integer n) {
        if (n == null) return prompts;
        if (n < 1) throw new InvalidInputException("--n must be >= 1, got " + n);
        return prompts.subList(0, Math.min(n, prompts.size()));
    }
}
