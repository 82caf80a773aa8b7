package dev.ortho.formats;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Base of every failure Ortho reports to a user. Each carries the file and, where there is one, the
 * tensor it concerns, plus the process exit code the CLI maps it to, so that no caller has to guess
 * whether a failure was the user's input, a verification verdict or the machine.
 */
public abstract class OrthoException extends RuntimeException {

    private final Path file;
    private final String tensor;
    private final String problem;

    protected OrthoException(Path file, String tensor, String problem, Throwable cause) {
        super(compose(file, tensor, problem), cause);
        this.file = file;
        this.tensor = tensor;
        this.problem = problem;
    }

    /** Exit code of the CLI for this failure: 1 verification failed, 2 bad input or usage, 3 I/O. */
    public abstract int exitCode();

    public Optional<Path> file() { return Optional.ofNullable(file); }

    public Optional<String> tensor() { return Optional.ofNullable(tensor); }

    /** The problem alone, without file and tensor. */
    public String problem() { return problem; }

    private static String compose(Path file, String tensor, String problem) {
        StringBuilder sb = new StringBuilder();
        if (file != null) sb.append(file).append(": ");
        if (tensor != null) sb.append("tensor '").append(tensor).append("': ");
        return sb.append(problem).toString();
    }
}
