package dev.ortho.core.shared;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** ../shared data for tests; a test that needs it skips with a clear message when it is absent. */
public final class SharedData {

    private SharedData() {}

    public static Path dir(String sub) {
        String p = System.getProperty("ortho.shared");
        Path d = (p != null ? Path.of(p) : Path.of("..", "shared")).resolve(sub).toAbsolutePath().normalize();
        Assumptions.assumeTrue(Files.exists(d), "skipped: ground-truth data not found at " + d);
        return d;
    }

    /** The refusal organism's model directory. */
    public static Path organism() { return dir("organism/qwen2-refusal-organism"); }

    public static JsonNode json(Path file) {
        try {
            return new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
