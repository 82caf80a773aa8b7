package dev.ortho.formats;

import java.nio.file.Path;

/** The input (a file, an argument) is malformed, hostile or inconsistent. Exit code 2. */
public class InvalidInputException extends OrthoException {

    public InvalidInputException(Path file, String tensor, String problem) {
        super(file, tensor, problem, null);
    }

    public InvalidInputException(Path file, String tensor, String problem, Throwable cause) {
        super(file, tensor, problem, cause);
    }

    public InvalidInputException(String problem) {
        super(null, null, problem, null);
    }

    @Override
    public int exitCode() { return 2; }
}
