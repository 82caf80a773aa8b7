package dev.ortho.core.golden;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/** ../shared/golden; tests skip with a clear message when it is absent. */
public final class Golden {

    public static final String[] ARCHS = {"llama", "mistral", "qwen2", "gemma", "gemma2", "phi3", "gpt2", "mixtral"};
    public static final java.util.Set<String> TIED = java.util.Set.of("qwen2", "gemma", "gemma2", "gpt2");

    private Golden() {}

    public static Path dir() {
        String p = System.getProperty("ortho.shared");
        Path g = (p != null ? Path.of(p) : Path.of("..", "shared")).resolve("golden").toAbsolutePath().normalize();
        Assumptions.assumeTrue(Files.isDirectory(g), "skipped: ground-truth data not found at " + g);
        return g;
    }
}
