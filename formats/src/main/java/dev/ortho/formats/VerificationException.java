package dev.ortho.formats;

import java.nio.file.Path;

/** A check found the data to differ from what was promised (hash, projection, byte identity). Exit code 1. */
public class VerificationException extends OrthoException {

    public VerificationException(Path file, String tensor, String problem) {
        super(file, tensor, problem, null);
    }

    @Override
    public int exitCode() { return 1; }
}
