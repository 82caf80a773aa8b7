package dev.ortho.core.edit;

/** Progress of a long edit, for the CLI's progress bar. Called from the editing thread. */
public interface ProgressListener {

    ProgressListener NONE = new ProgressListener() {};

    default void started(long totalBytes, int totalTensors) {}

    default void tensorStarted(String name, long bytes) {}

    /** Bytes of the current tensor written so far since the last call. */
    default void advanced(long bytes) {}

    default void tensorDone(String name) {}
}
