package dev.ortho.core.runtime;

import dev.ortho.formats.OrthoException;

import java.nio.file.Path;

/** The runtime could not build or run a model: unsupported configuration (exit 2) or an ONNX Runtime error (exit 3). */
public class RuntimeFailure extends OrthoException {

    private static final long serialVersionUID = 1L;

    private final int exitCode;

    private RuntimeFailure(Path file, String tensor, String problem, Throwable cause, int exitCode) {
        super(file, tensor, problem, cause);
        this.exitCode = exitCode;
    }

    /** The model uses something this runtime does not implement (a rope type, an architecture). */
    public static RuntimeFailure unsupported(Path modelDir, String problem) {
        return new RuntimeFailure(modelDir, null, problem, null, 2);
    }

    /** A tensor the architecture needs is missing or has the wrong shape. */
    public static RuntimeFailure badTensor(Path modelDir, String tensor, String problem) {
        return new RuntimeFailure(modelDir, tensor, problem, null, 2);
    }

    /** Bad arguments to forward/generate (empty sequence, wrong direction length ...). */
    public static RuntimeFailure badRequest(String problem) {
        return new RuntimeFailure(null, null, problem, null, 2);
    }

    /** ONNX Runtime itself failed. */
    public static RuntimeFailure engine(Path modelDir, String what, Throwable cause) {
        return new RuntimeFailure(modelDir, null, what + ": " + cause.getMessage(), cause, 3);
    }

    @Override
    public int exitCode() { return exitCode; }
}
