package dev.ortho.cli;

import dev.ortho.formats.InvalidInputException;
import picocli.CommandLine.Option;

/**
 * {@code --threads}, the one declaration every computing command mixes in: kernel threads for edits,
 * verification and audits (whose bytes and figures do not depend on the count), ONNX Runtime intra-op threads
 * for the forward passes. Not given: all cores.
 */
final class ThreadsOption {

    @Option(names = "--threads", paramLabel = "N",
            description = "Threads (default: all cores). Edits, verification and audits give the same bytes for any N.")
    Integer threads;

    /** The most threads any command takes. */
    static final int MAX = 1024;

    /** The thread count: as given (1..{@value #MAX}), else the machine's cores. */
    int count() {
        if (threads == null) return Runtime.getRuntime().availableProcessors();
        if (threads < 1 || threads > MAX) throw new InvalidInputException("--threads must be 1.." + MAX + ", got " + threads);
        return threads;
    }

    /** For ONNX Runtime, where 0 lets it choose one thread per core. */
    int forRuntime() { return threads == null ? 0 : count(); }
}
