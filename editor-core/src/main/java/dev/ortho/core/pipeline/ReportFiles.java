package dev.ortho.core.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.ortho.formats.OrthoIoException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/** JSON (snake_case, indented, NaN written as the paper's files do) and text outputs of the pipeline commands. */
public final class ReportFiles {

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private ReportFiles() {}

    /**
     * An insertion-ordered map of alternating keys and values: unlike {@code Map.of}, whose iteration order
     * changes from one JVM run to the next, it serializes to the same bytes every time.
     */
    public static Map<String, Object> map(Object... keysAndValues) {
        if (keysAndValues.length % 2 != 0) throw new IllegalArgumentException("keys and values must pair up");
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        return m;
    }

    public static String json(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize a report", e);
        }
    }

    public static void writeJson(Path file, Object value) {
        writeText(file, json(value) + "\n");
    }

    public static void writeText(Path file, String text) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new OrthoIoException(file, "cannot write the report", e);
        }
    }

    /** SHA-256 of a file, hex, for provenance of prompt files. */
    public static String sha256(Path file) { return dev.ortho.core.edit.Sha256Hex.ofFile(file); }
}
