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

    /** The paper's result files hold Python's NaN literal (llama-2 pos −6). */
    private static final ObjectMapper MAPPER = new ObjectMapper(com.fasterxml.jackson.core.JsonFactory.builder()
            .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build());

    private SharedData() {}

    public static Path dir(String sub) {
        String p = System.getProperty("ortho.shared");
        Path d = (p != null ? Path.of(p) : Path.of("..", "shared")).resolve(sub).toAbsolutePath().normalize();
        Assumptions.assumeTrue(Files.exists(d), "skipped: ground-truth data not found at " + d);
        return d;
    }

    /** The refusal organism's model directory. */
    public static Path organism() { return dir("organism/qwen2-refusal-organism"); }

    /** The organism on which every candidate fails the paper's filters. */
    public static Path noSurvivor() { return dir("organism/llama-nosurvivor"); }

    public static JsonNode json(Path file) {
        try {
            return MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
