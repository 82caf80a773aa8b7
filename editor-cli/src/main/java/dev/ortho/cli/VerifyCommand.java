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
        "Check an Ortho output without trusting its manifest's list of edits: file hashes, no unlisted file anywhere",
        "in the tree, the edit planned again from the architecture spec and the manifest's parameters (the edits list",
        "must match it), no component along r left in planned writers beyond rounding, and with --original: untouched",
        "tensors byte-identical, edited ones equal to an independent float64 recomputation within 1 ulp.",
        "Exit 1 when any check fails; checks that cannot be made are reported as not applicable."})
final class VerifyCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "EDITED", description = "An output directory of ortho ablate.")
    Path edited;

    @Option(names = "--original", paramLabel = "MODEL", description = "The checkpoint it was made from.")
    Path original;

    @Mixin ArchOptions archOptions;

    @Mixin ThreadsOption threads;

    @Option(names = "--json", description = "Print every check as JSON.")
    boolean json;

    @Option(names = "--all", description = "List passing checks too (default: a summary and the failures).")
    boolean all;

    @Mixin Verbosity verbosity;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        if (archOptions.arch != null) {
            throw new dev.ortho.formats.InvalidInputException("verify takes the architecture from the manifest; --arch is not"
                    + " accepted (use --arch-spec FILE for a user spec)");
        }
        VerifyReport report = Verifier.verify(edited, Optional.ofNullable(original), archOptions.archSpec(),
                threads.count());
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("ok", report.ok());
            m.put("edited", report.edited());
            m.put("original", report.original());
            m.put("failed", report.failures().size());
            m.put("not_applicable", report.notApplicable().size());
            m.put("checks", report.checks().stream().map(c -> {
                java.util.Map<String, Object> e = new java.util.LinkedHashMap<>();
                e.put("kind", c.kind());
                e.put("subject", c.subject());
                e.put("status", c.status().name().toLowerCase(java.util.Locale.ROOT));
                e.put("ok", c.ok());
                e.put("detail", c.detail());
                return e;
            }).toList());
            Json.print(out, m);
        } else {
            print(out, report, all);
        }
        return report.ok() ? 0 : OrthoCommand.EXIT_VERIFY_FAILED;
    }

    /** Failures line by line; not-applicable checks once per kind with their count; a summary line. */
    static void print(PrintWriter out, VerifyReport report, boolean all) {
        java.util.Map<String, java.util.List<CheckResult>> na = new java.util.LinkedHashMap<>();
        for (CheckResult c : report.checks()) {
            if (c.status() == CheckResult.Status.NOT_APPLICABLE) na.computeIfAbsent(c.kind(), k -> new java.util.ArrayList<>()).add(c);
            if (all || c.status() == CheckResult.Status.FAIL) out.printf("%-4s %-10s %s: %s%n", label(c), c.kind(), c.subject(), c.detail());
        }
        if (!all) {
            na.forEach((kind, list) -> out.printf("%-4s %-10s %s: %s%n", "n/a", kind,
                    list.size() == 1 ? list.get(0).subject() : list.size() + " tensors, e.g. " + list.get(0).subject(),
                    list.get(0).detail()));
        }
        long failed = report.failures().size();
        out.printf("%s: %d checks, %d failed, %d not applicable%n", failed == 0 ? "VERIFIED" : "VERIFICATION FAILED",
                report.checks().size(), failed, report.notApplicable().size());
        out.flush();
    }

    private static String label(CheckResult c) {
        return switch (c.status()) {
            case PASS -> "ok";
            case FAIL -> "FAIL";
            case NOT_APPLICABLE -> "n/a";
        };
    }
}
