package dev.ortho.core.golden;

import dev.ortho.fixtures.SharedData;

import java.nio.file.Path;

/** ../shared/golden; tests skip with a clear message when it is absent. */
public final class Golden {

    public static final String[] ARCHS = {"llama", "mistral", "qwen2", "gemma", "gemma2", "phi3", "gpt2", "mixtral"};
    public static final java.util.Set<String> TIED = java.util.Set.of("qwen2", "gemma", "gemma2", "gpt2");

    private Golden() {}

    public static Path dir() { return SharedData.golden(); }
}
