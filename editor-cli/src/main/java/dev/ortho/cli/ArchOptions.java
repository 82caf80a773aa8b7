package dev.ortho.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Optional;

/** {@code --arch} and {@code --arch-spec}, shared by the commands that open a model. */
final class ArchOptions {

    @Option(names = "--arch", paramLabel = "NAME",
            description = "Use this architecture spec instead of detecting it from config.json.")
    String arch;

    @Option(names = "--arch-spec", paramLabel = "FILE",
            description = "A JSON architecture spec adding (or replacing) an architecture; see docs/architecture-specs.md.")
    Path archSpec;

    Optional<String> arch() { return Optional.ofNullable(arch); }

    Optional<Path> archSpec() { return Optional.ofNullable(archSpec); }
}
