package dev.ortho.core.arch;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.OrthoIoException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The architecture specs Ortho knows: the built-in ones plus any a user adds from JSON files. */
public final class ArchRegistry {

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final long MAX_SPEC_BYTES = 1 << 20;

    private final Map<String, ArchSpec> specs;

    private ArchRegistry(Map<String, ArchSpec> specs) {
        this.specs = specs;
    }

    /** The built-in specs (resources under dev/ortho/core/arch, listed in builtin.txt). */
    public static ArchRegistry builtin() {
        Map<String, ArchSpec> specs = new LinkedHashMap<>();
        for (String name : resource("builtin.txt").lines().map(String::strip).filter(s -> !s.isEmpty()).toList()) {
            Path source = Path.of("builtin:" + name + ".json");
            try {
                specs.put(name, ArchSpec.fromJson(JSON.readTree(resource(name + ".json")), source));
            } catch (IOException e) {
                throw new UncheckedIOException("built-in architecture spec " + name + " is unreadable", e);
            }
        }
        return new ArchRegistry(specs);
    }

    /** A registry with the spec of {@code file} added (replacing a built-in of the same name). */
    public ArchRegistry with(Path file) {
        ArchSpec spec = readSpec(file);
        Map<String, ArchSpec> copy = new LinkedHashMap<>(specs);
        copy.put(spec.name(), spec);
        return new ArchRegistry(copy);
    }

    public static ArchSpec readSpec(Path file) {
        try {
            if (!Files.isRegularFile(file)) throw new InvalidInputException(file, null, "architecture spec file does not exist");
            if (Files.size(file) > MAX_SPEC_BYTES) throw new InvalidInputException(file, null, "architecture spec is larger than 1 MiB");
            JsonNode root;
            try {
                root = JSON.readTree(Files.readAllBytes(file));
            } catch (IOException e) {
                throw new InvalidInputException(file, null, "architecture spec is not valid JSON: " + e.getMessage());
            }
            return ArchSpec.fromJson(root, file);
        } catch (IOException e) {
            throw new OrthoIoException(file, "cannot read architecture spec", e);
        }
    }

    public List<String> names() { return List.copyOf(specs.keySet()); }

    public Optional<ArchSpec> byName(String name) { return Optional.ofNullable(specs.get(name)); }

    public ArchSpec require(String name) {
        return byName(name).orElseThrow(() -> new InvalidInputException(
                "unknown architecture '" + name + "'; supported: " + String.join(", ", names())
                        + " (or describe it in a JSON spec file: --arch-spec FILE)"));
    }

    /**
     * Detects the spec from config.json's {@code architectures} classes first (more specific),
     * then {@code model_type}.
     */
    public ArchSpec detect(String modelType, List<String> architectures, Path configFile) {
        for (String cls : architectures) {
            for (ArchSpec s : specs.values()) if (s.architectures().contains(cls)) return s;
        }
        for (ArchSpec s : specs.values()) if (modelType != null && s.modelTypes().contains(modelType)) return s;
        List<String> described = new ArrayList<>();
        if (modelType != null) described.add("model_type '" + modelType + "'");
        if (!architectures.isEmpty()) described.add("architectures " + architectures);
        throw new InvalidInputException(configFile, null, "unsupported architecture ("
                + (described.isEmpty() ? "config names none" : String.join(", ", described))
                + "); supported: " + String.join(", ", names())
                + ". Use --arch NAME to force one, or --arch-spec FILE to describe a new one.");
    }

    private static String resource(String name) {
        try (InputStream in = ArchRegistry.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("missing resource dev/ortho/core/arch/" + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
