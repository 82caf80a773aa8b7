package dev.ortho.cli;

import picocli.CommandLine.Option;

/** {@code -v}: detail on stderr, stack traces with errors. Read early by {@link OrthoCommand#execute}. */
final class Verbosity {
    @Option(names = {"-v", "--verbose"}, description = "Log detail and show stack traces with errors.")
    boolean verbose;
}
