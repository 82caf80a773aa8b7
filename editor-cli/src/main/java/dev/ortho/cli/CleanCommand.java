package dev.ortho.cli;

import dev.ortho.formats.OrthoIoException;
import dev.ortho.formats.checkpoint.CheckpointWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "clean", description = "Remove the temporary directories that a killed ortho run left in DIR"
        + " (named .NAME.ortho-tmp-*; never mistaken for output).")
final class CleanCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "DIR", description = "The directory that holds (or would hold) the outputs.")
    Path dir;

    @Option(names = "--dry-run", description = "List what would be removed.")
    boolean dryRun;

    @Mixin Verbosity verbosity;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        List<Path> stale = CheckpointWriter.staleTempDirs(dir);
        for (Path p : stale) {
            spec.commandLine().getOut().println((dryRun ? "would remove " : "removed ") + p);
            if (!dryRun) {
                try {
                    CheckpointWriter.deleteRecursively(p);
                    java.nio.file.Files.deleteIfExists(p.resolveSibling(p.getFileName() + ".lock"));
                } catch (IOException e) {
                    throw new OrthoIoException(p, "cannot remove", e);
                }
            }
        }
        if (stale.isEmpty()) spec.commandLine().getOut().println("nothing to clean in " + dir);
        return 0;
    }
}
