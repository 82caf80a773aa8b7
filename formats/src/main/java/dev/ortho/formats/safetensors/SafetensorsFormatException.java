package dev.ortho.formats.safetensors;

import dev.ortho.formats.InvalidInputException;

import java.nio.file.Path;

/** A safetensors file violates the format: a bad header, a bad entry, a bad data range. */
public final class SafetensorsFormatException extends InvalidInputException {

    public SafetensorsFormatException(Path file, String tensor, String problem) {
        super(file, tensor, problem);
    }

    public SafetensorsFormatException(Path file, String tensor, String problem, Throwable cause) {
        super(file, tensor, problem, cause);
    }
}
