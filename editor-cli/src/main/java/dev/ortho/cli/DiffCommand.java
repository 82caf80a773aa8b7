package dev.ortho.cli;

import dev.ortho.core.audit.CheckpointDiff;
import dev.ortho.core.audit.DeltaAnalysis;
import dev.ortho.core.audit.DiffReport;
import dev.ortho.core.audit.DiffRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

@Command(name = "diff", description = {
        "Audit OTHER, a checkpoint someone edited (an \"abliterated\" model from a hub), against ORIGINAL, its base:",
        "tensors added, missing and changed; for each changed one its role, the effective rank of its delta, whether",
        "it is a projection along one direction and how its norms changed; the direction the edit removed, recovered",
        "from the deltas alone; and a one-line verdict. Reads both checkpoints streaming, a block at a time."})
final class DiffCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "ORIGINAL", description = "The base checkpoint (its config.json gives the architecture).")
    Path original;

    @Parameters(index = "1", paramLabel = "OTHER", description = "The edited checkpoint (any sharding).")
    Path other;

    @Option(names = "--direction", paramLabel = "FILE[:TENSOR]",
            description = "A direction ([hidden] or [layers, hidden]) to compare the recovered one with (|cos|).")
    String direction;

    @Option(names = "--candidates", paramLabel = "FILE",
            description = "An `ortho extract` candidates file: |cos| of the recovered direction with every candidate.")
    Path candidates;

    @Option(names = "--deviation-threshold", paramLabel = "COS", defaultValue = "0.99",
            description = "A changed writer whose own top direction has |cos| below this with the common one deviates (default 0.99).")
    double threshold;

    @Mixin ThreadsOption threads;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Mixin ArchOptions archOptions;
    @Mixin Verbosity verbosity;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        if (!(threshold >= 0 && threshold <= 1)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--deviation-threshold must be within [0, 1]");
        }
        DiffReport r = CheckpointDiff.diff(new DiffRequest(original, other, archOptions.arch(), archOptions.archSpec(),
                Optional.ofNullable(direction), Optional.ofNullable(candidates),
                threads.count(), threshold));
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Json.print(out, r);
            return 0;
        }
        out.printf("Original    %s (%s, hidden %d, %d layers, %d residual writers)%n", r.original(), r.arch(), r.hidden(),
                r.layers(), r.residualWriters());
        out.printf("Other       %s%n", r.other());
        out.printf("Tensors     %d unchanged, %d changed, %d added, %d missing%n", r.unchanged(), r.changed().size(),
                r.added().size(), r.missing().size());
        for (DiffReport.Tensor t : r.missing()) out.printf("  missing  %-10s %-4s %-16s %s%n", t.role(), t.dtype(), t.shape(), t.name());
        for (DiffReport.Tensor t : r.added()) out.printf("  added    %-10s %-4s %-16s %s%n", t.role(), t.dtype(), t.shape(), t.name());
        if (!r.changed().isEmpty()) {
            out.println("Changed     rank: effective rank of dW (singular values until what is left is rounding);"
                    + " top1/top4: share of ||dW||^2;");
            out.println("            proj: dW = -alpha r (r^T W) within rounding; norms: largest relative change of the"
                    + " write-vector norms (kept: norm-preserving)");
            out.printf("  %-12s %5s %-10s %5s %7s %7s %-14s %-18s %8s  %s%n", "role", "layer", "dtype", "rank", "top1", "top4",
                    "proj (alpha)", "norms", "|cos|", "name");
            for (DiffReport.ChangedTensor c : r.changed()) out.println(row(c));
        }
        DiffReport.RecoveredDirection d = r.recoveredDirection();
        if (d != null) {
            out.printf(Locale.ROOT, "Direction   recovered from %d changed writers: %.4f%% of their ||dW||^2 along it (next direction %.4f%%)%n",
                    d.writers(), 100 * d.share(), 100 * d.nextShare());
            if (r.cosine() != null) {
                out.printf(Locale.ROOT, "            |cos| with --direction: %.6f%s%n", r.cosine(), r.directionCosines().size() > 1
                        ? " (best of " + r.directionCosines().size() + " rows)" : "");
            }
            if (!r.candidateCosines().isEmpty()) {
                out.println("            |cos| with the best candidates: " + r.candidateCosines().stream().limit(5)
                        .map(c -> String.format(Locale.ROOT, "pos %d layer %d %.6f", c.position(), c.layer(), c.cosine()))
                        .collect(Collectors.joining(", ")));
            }
        }
        if (!r.deviating().isEmpty()) {
            out.println("Deviating   writers whose own top direction is not the common one:");
            for (DiffReport.Deviation x : r.deviating()) out.printf(Locale.ROOT, "  |cos| %.4f  %s%n", x.cosine(), x.name());
        }
        out.println("Verdict     " + r.verdict());
        return 0;
    }

    private static String row(DiffReport.ChangedTensor c) {
        String dtype = c.dtypeChanged() ? c.dtypeBefore() + ">" + c.dtypeAfter() : c.dtypeBefore();
        String layer = c.layer() < 0 ? "-" : Integer.toString(c.layer());
        DeltaAnalysis a = c.analysis();
        if (a == null || a.shares() == null) {
            String note = c.note() != null ? c.note() : "no delta";
            return String.format(Locale.ROOT, "  %-12s %5s %-10s %s: %s", c.role(), layer, dtype, c.name(), note);
        }
        String rank = a.effectiveRank() == null ? ">" + a.rankLimit() : a.effectiveRank().toString();
        String proj = a.projection() == null ? "-" : (a.projection().projection() ? "yes" : "no")
                + String.format(Locale.ROOT, " (%.4g)", a.projection().alpha());
        String norms = String.format(Locale.ROOT, "%.2e%s", a.vectorNorms().maxAbsolute(), a.normPreserving() ? " kept" : "");
        String cos = c.cosineWithCommon() == null ? "-" : String.format(Locale.ROOT, "%.6f", c.cosineWithCommon());
        return String.format(Locale.ROOT, "  %-12s %5s %-10s %5s %7.4f %7.4f %-14s %-18s %8s  %s%s", c.role(), layer, dtype, rank,
                a.shares().top1(), a.shares().top4(), proj, norms, cos, c.name(), c.note() != null ? "  (" + c.note() + ")" : "");
    }
}
