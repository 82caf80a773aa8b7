package dev.ortho.core.arch;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Which architecture spec describes a model: {@code --arch NAME} (a built-in, or the spec file's),
 * else the {@code --arch-spec FILE} spec itself, else the one config.json's classes or model_type
 * select among the built-ins plus that file. Shared by the editor and the runtime, so every command
 * that reads a model resolves it the same way.
 */
public record ArchChoice(Optional<String> name, Optional<Path> specFile) {

    public static ArchChoice detect() { return new ArchChoice(Optional.empty(), Optional.empty()); }

    public static ArchChoice specFile(Path file) { return new ArchChoice(Optional.empty(), Optional.of(file)); }

    public ArchSpec resolve(String modelType, List<String> architectures, Path configFile) {
        ArchRegistry registry = ArchRegistry.builtin();
        if (specFile.isPresent()) registry = registry.with(specFile.get());
        if (name.isPresent()) return registry.require(name.get());
        if (specFile.isPresent()) return registry.require(ArchRegistry.readSpec(specFile.get()).name());
        return registry.detect(modelType, architectures, configFile);
    }
}
