package dev.ortho.formats;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates ../shared (ground truth); tests that need it skip with a clear message when it is absent. */
public final class SharedData {

    private SharedData() {}

    public static Path root() {
        String p = System.getProperty("ortho.shared");
        Path root = p != null ? Path.of(p) : Path.of("..", "shared");
        return root.toAbsolutePath().normalize();
    }

    public static Path golden() {
        Path g = root().resolve("golden");
        Assumptions.assumeTrue(Files.isDirectory(g),
                "skipped: ground-truth data not found at " + g + " (../shared/golden beside the project root)");
        return g;
    }

    public static final String[] ARCHS = {"llama", "mistral", "qwen2", "gemma", "gemma2", "phi3", "gpt2", "mixtral"};
}
