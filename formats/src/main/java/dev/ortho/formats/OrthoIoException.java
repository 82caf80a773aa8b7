package dev.ortho.formats;

import java.io.IOException;
import java.nio.file.Path;

/** Reading or writing failed for reasons of the machine (disk full, permissions, I/O). Exit code 3. */
public class OrthoIoException extends OrthoException {

    public OrthoIoException(Path file, String problem, IOException cause) {
        super(file, null, problem + (cause != null && cause.getMessage() != null ? ": " + cause.getMessage() : ""), cause);
    }

    @Override
    public int exitCode() { return 3; }
}
