package dev.ortho.cli;

import dev.ortho.core.edit.Inspection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

@Command(name = "inspect", description = "Show a checkpoint as Ortho sees it: architecture, dtypes, shards,"
        + " parameters, tied head, and every tensor an edit would touch.")
final class InspectCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MODEL", description = "Checkpoint directory (or a .safetensors file).")
    Path model;

    @Mixin ArchOptions archOptions;
    @Mixin Verbosity verbosity;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        Inspection r = Inspection.of(model, archOptions.arch(), archOptions.archSpec());
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Json.print(out, r);
            return 0;
        }
        out.printf("Model       %s%n", r.path());
        out.printf("Arch        %s (model_type %s)%n", r.arch(), r.modelType());
        if (!r.archDescription().isEmpty()) out.printf("            %s%n", r.archDescription());
        out.printf("Size        hidden %d, %d layers, %s parameters (%s)%n", r.hidden(), r.layers(), Units.count(r.parameters()),
                r.dtypes().entrySet().stream().map(e -> e.getKey() + " " + Units.count(e.getValue())).collect(Collectors.joining(", ")));
        out.printf("Shards      %d%n", r.shards().size());
        for (Inspection.Shard s : r.shards()) out.printf("            %s  %s, %d tensors%n", s.file(), Units.bytes(s.bytes()), s.tensors());
        out.printf("Tied head   %s%n", r.tied() ? "yes (embedding shared with the output head)" : "no");
        out.printf("Writers     %d tensors write into the residual stream and would be edited:%n", r.writers().size());
        for (Inspection.Writer w : r.writers()) {
            out.printf(Locale.ROOT, "  %-18s %5s  %-7s %-4s %-14s %s%n", w.role(), w.layer() < 0 ? "-" : Integer.toString(w.layer()),
                    w.layout(), w.dtype(), w.shape(), w.name());
        }
        if (!r.quantization().isEmpty()) {
            out.println("Quantized");
            for (String q : r.quantization()) out.println("  - " + q);
        }
        if (!r.warnings().isEmpty()) {
            out.println("Warnings");
            for (String w : r.warnings()) out.println("  - " + w);
        }
        return 0;
    }
}
