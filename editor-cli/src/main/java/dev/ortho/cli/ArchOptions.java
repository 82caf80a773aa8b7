package dev.ortho.cli;

import dev.ortho.core.arch.ArchChoice;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Optional;

/** {@code --arch} and {@code --arch-spec}, shared by every command that reads a model. */
final class ArchOptions {

    @Option(names = "--arch", paramLabel = "NAME",
            description = "Use this architecture spec instead of detecting it from config.json.")
    String arch;

    @Option(names = "--arch-spec", paramLabel = "FILE",
            description = "A JSON architecture spec adding (or replacing) an architecture; see docs/architecture-specs.md.")
    Path archSpec;

    Optional<String> arch() { return Optional.ofNullable(arch); }

    Optional<Path> archSpec() { return Optional.ofNullable(archSpec); }

    /** The choice as core resolves it, for the editor and the runtime alike. */
    ArchChoice choice() { return new ArchChoice(arch(), archSpec()); }
}
