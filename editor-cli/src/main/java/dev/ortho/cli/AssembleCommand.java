package dev.ortho.cli;

import dev.ortho.core.edit.PartAssembler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "assemble", description = {
        "Join the parts written by 'ortho ablate --shard-group i/n' workers into one checkpoint: checks that the",
        "parts cover every shard exactly once with the same input, direction and parameters, then writes the",
        "index, the non-weight files and the merged manifest, and renames atomically. Shards are hard-linked",
        "when the parts are on the same file system, else copied; the parts are left as they are."})
final class AssembleCommand implements Callable<Integer> {

    @Parameters(paramLabel = "PARTS", arity = "1..*", description = "Part directories, or a directory holding part-* directories.")
    List<Path> parts;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "The assembled checkpoint (must not exist).")
    Path out;

    @Option(names = "--force", description = "Replace an existing output directory.")
    boolean force;

    @Option(names = "--json", description = "Print the summary as JSON.")
    boolean json;

    @Mixin Verbosity verbosity;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        PartAssembler.Result r = PartAssembler.assemble(parts, out, force, AblateCommand.commandLine());
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("out", r.out().toString());
            m.put("parts", r.parts());
            m.put("shards", r.shards());
            m.put("edited_tensors", r.manifest().edits().size());
            Json.print(spec.commandLine().getOut(), m);
        } else {
            spec.commandLine().getOut().printf("Assembled %d parts, %d shards, %d edited tensors into %s%n",
                    r.parts(), r.shards(), r.manifest().edits().size(), r.out());
        }
        return 0;
    }
}
