package dev.ortho.cli;

import dev.ortho.core.pipeline.RunPlan;

import dev.ortho.core.text.InstructionFiles;
import dev.ortho.formats.OrthoIoException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "demo", description = {
        "Runs the whole pipeline (ortho run) on the bundled demo model: a 2.2 M-parameter Qwen2 chat model trained to",
        "refuse harmful requests, with the project's own 80 harmful and 80 harmless demo instructions (40 train the",
        "direction, 16 select it, 24 test it). Prints the before/after table; the report is OUT/report.html."})
final class DemoCommand implements Callable<Integer> {

    static final String RESOURCES = "/dev/ortho/cli/demo/";
    static final List<String> MODEL_FILES = List.of("config.json", "config.legacy.json", "generation_config.json", "model.safetensors",
            "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json");
    static final int TRAIN = 40, VAL = 16;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "ortho-demo", description = "Output directory (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "64", description = "Tokens generated per test prompt (default ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Mixin ThreadsOption threads;

    @Option(names = "--json", description = "Print report.json instead of the summary table.")
    boolean json;

    @Mixin Verbosity verbosity;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        Path model = out.resolve("demo-model");
        Path promptsDir = out.resolve("demo-prompts");
        for (String f : MODEL_FILES) copy("organism/" + f, model.resolve(f));
        copy("prompts/harmful.txt", promptsDir.resolve("harmful.txt"));
        copy("prompts/harmless.txt", promptsDir.resolve("harmless.txt"));
        List<String> h = InstructionFiles.read(promptsDir.resolve("harmful.txt"));
        List<String> l = InstructionFiles.read(promptsDir.resolve("harmless.txt"));
        RunPlan plan = new RunPlan(model, out, true, h.subList(0, TRAIN), l.subList(0, TRAIN), h.subList(TRAIN, TRAIN + VAL),
                l.subList(TRAIN, TRAIN + VAL), h.subList(TRAIN + VAL, h.size()), l.subList(TRAIN + VAL, l.size()), "I,As", true, 0.2, 0.1, 0.0,
                RunPlan.Fallback.NONE, maxNewTokens, 32, threads.forRuntime(), "untie", AblateCommand.commandLine(),
                dev.ortho.core.arch.ArchChoice.detect(), false);
        return RunCommand.execute(plan, spec, json, !json, dev.ortho.core.search.SearchSettings.DEFAULT_TRIALS);
    }

    private static void copy(String resource, Path target) {
        try (InputStream in = DemoCommand.class.getResourceAsStream(RESOURCES + resource)) {
            if (in == null) throw new IllegalStateException("demo resource " + resource + " is missing from the build");
            Files.createDirectories(target.getParent());
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new OrthoIoException(target, "cannot write the demo files", e);
        }
    }
}
