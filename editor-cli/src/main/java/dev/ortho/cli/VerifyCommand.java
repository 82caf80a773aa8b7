package dev.ortho.cli;

import dev.ortho.core.verify.CheckResult;
import dev.ortho.core.verify.Verifier;
import dev.ortho.core.verify.VerifyReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;

@Command(name = "verify", description = {
        "Check an Ortho output: file hashes against its manifest, no component along r left in edited tensors",
        "beyond rounding, and with --original: untouched tensors byte-identical, edited ones equal to the",
        "projection of the original within 1 ulp. Exit 1 when any check fails."})
final class VerifyCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "EDITED", description = "An output directory of ortho ablate.")
    Path edited;

    @Option(names = "--original", paramLabel = "MODEL", description = "The checkpoint it was made from.")
    Path original;

    @Option(names = "--threads", paramLabel = "N", description = "Threads for recomputing projections (default: all cores).")
    Integer threads;

    @Option(names = "--json", description = "Print every check as JSON.")
    boolean json;

    @Option(names = "--all", description = "List passing checks too (default: a summary and the failures).")
    boolean all;

    @Mixin Verbosity verbosity;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        VerifyReport report = Verifier.verify(edited, Optional.ofNullable(original),
                threads != null ? threads : Runtime.getRuntime().availableProcessors());
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("ok", report.ok());
            m.put("edited", report.edited());
            m.put("original", report.original());
            m.put("checks", report.checks());
            Json.print(out, m);
        } else {
            for (CheckResult c : report.checks()) {
                if (all || !c.ok()) out.printf("%-4s %-10s %s: %s%n", c.ok() ? "ok" : "FAIL", c.kind(), c.subject(), c.detail());
            }
            long failed = report.failures().size();
            out.printf("%s: %d checks, %d failed%n", failed == 0 ? "VERIFIED" : "VERIFICATION FAILED", report.checks().size(), failed);
        }
        return report.ok() ? 0 : OrthoCommand.EXIT_VERIFY_FAILED;
    }
}
