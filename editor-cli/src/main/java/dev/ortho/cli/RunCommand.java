package dev.ortho.cli;

import dev.ortho.core.eval.NoSurvivingCandidateException;
import dev.ortho.core.pipeline.EditVerification;
import dev.ortho.core.pipeline.PaperPipeline;
import dev.ortho.core.pipeline.RunPlan;
import dev.ortho.core.pipeline.RunReport;
import dev.ortho.core.pipeline.SelectionRow;
import dev.ortho.core.search.RefusalSearch;
import dev.ortho.core.search.SearchReport;
import dev.ortho.core.search.SearchRequest;
import dev.ortho.core.search.SearchSettings;
import dev.ortho.formats.InvalidInputException;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "run", description = {
        "The whole pipeline: extract -> select -> ablate (weight orthogonalization) -> verify -> compare -> eval.",
        "Without --harmful-val/--harmful-test (and the harmless ones), each file is split in file order: the first 60 %%",
        "train the direction, the next 20 %% select it, the rest test it. Writes OUT/report.html (self-contained),",
        "OUT/report.json, the candidates, the selected direction and the edited checkpoint OUT/model."})
final class RunCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MODEL", description = "Checkpoint directory.")
    Path model;

    @Option(names = "--harmful", required = true, paramLabel = "FILE", description = "Harmful instructions (train, or all to split).")
    Path harmful;

    @Option(names = "--harmless", required = true, paramLabel = "FILE", description = "Harmless instructions (train, or all to split).")
    Path harmless;

    @Option(names = "--harmful-val", paramLabel = "FILE") Path harmfulVal;
    @Option(names = "--harmless-val", paramLabel = "FILE") Path harmlessVal;
    @Option(names = "--harmful-test", paramLabel = "FILE") Path harmfulTest;
    @Option(names = "--harmless-test", paramLabel = "FILE") Path harmlessTest;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    @Option(names = "--force", description = "Replace an existing edited checkpoint in OUT/model.")
    boolean force;

    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "64", description = "Tokens generated per test prompt (default ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--no-filter", description = "Skip the baseline refusal-score filter of train and val prompts.")
    boolean noFilter;

    @Option(names = "--tied-embeddings", defaultValue = "untie", paramLabel = "POLICY",
            description = "untie (default), edit-both or skip-embedding, as for ortho ablate.")
    String tied;

    @Option(names = "--prune-layers", paramLabel = "F", defaultValue = "0.2",
            description = "Selection: discard candidates of layers >= L*(1-F) (default ${DEFAULT-VALUE}).")
    double pruneLayers;

    @Option(names = "--max-kl", paramLabel = "X", defaultValue = "0.1",
            description = "Selection: discard candidates whose first-token KL on harmless prompts exceeds X (default ${DEFAULT-VALUE}).")
    double maxKl;

    @Option(names = "--min-induce", paramLabel = "X", defaultValue = "0.0",
            description = "Selection: discard candidates whose induce score is below X (default ${DEFAULT-VALUE}).")
    double minInduce;

    @Option(names = "--search-trials", paramLabel = "N", defaultValue = "" + SearchSettings.DEFAULT_TRIALS,
            description = "Trials of the search --fallback search runs (default ${DEFAULT-VALUE}).")
    int searchTrials;

    @Option(names = "--fallback", paramLabel = "WHAT", defaultValue = "none",
            description = "When every candidate is filtered out: none (stop and explain, exit 2), ignore-kl (the reference's fallback:"
                    + " the lowest bypass score among candidates that fail only the KL filter) or search (continue with ortho search)."
                    + " Default ${DEFAULT-VALUE}.")
    String fallback;

    @Option(names = "--json", description = "Print report.json instead of the summary table.")
    boolean json;

    @Mixin ArchOptions archOptions;
    @Mixin PromptOptions prompts;
    @Mixin Verbosity verbosity;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        prompts.check();
        List<String> h = prompts.read(harmful), l = prompts.read(harmless);
        RunPlan plan;
        if (harmfulVal != null || harmlessVal != null || harmfulTest != null || harmlessTest != null) {
            if (harmfulVal == null || harmlessVal == null || harmfulTest == null || harmlessTest == null)
                throw new InvalidInputException("give all four of --harmful-val, --harmless-val, --harmful-test, --harmless-test, or none");
            plan = plan(h, l, prompts.read(harmfulVal), prompts.read(harmlessVal), prompts.read(harmfulTest), prompts.read(harmlessTest));
        } else {
            RunPlan.Split hs = RunPlan.Split.of(h, harmful.toString()), ls = RunPlan.Split.of(l, harmless.toString());
            plan = plan(hs.train(), ls.train(), hs.val(), ls.val(), hs.test(), ls.test());
        }
        return execute(plan, spec, json, !prompts.noProgress && !json, searchTrials);
    }

    /** How the run verifies its edit; tests swap it to show that a failed verification fails the run. */
    static EditVerification verification = EditVerification.VERIFY;

    /** Runs the pipeline and prints it; shared with {@code ortho demo}. Exit 1 when a check of the run failed. */
    static int execute(RunPlan plan, CommandSpec spec, boolean json, boolean progress, int searchTrials) {
        RunReport report;
        try {
            report = new PaperPipeline(plan, StepBar.forTerminal(progress), ProgressBar.forTerminal(progress), verification).run();
        } catch (NoSurvivingCandidateException e) {
            PrintWriter err = spec.commandLine().getErr();
            SelectCommand.printDiagnosis(err, e.diagnosis());
            err.println("The scores of every candidate are in " + plan.out().resolve("selection.json") + " and "
                    + plan.out().resolve("selection.csv") + ".");
            err.flush();
            if (plan.fallback() != RunPlan.Fallback.SEARCH) return OrthoCommand.EXIT_BAD_INPUT;
            return searchInstead(plan, spec, json, progress, searchTrials);
        }
        print(spec.commandLine().getOut(), report, plan.out(), json);
        return exitCode(report);
    }

    /**
     * {@code --fallback search}: the same splits and the candidates extract already wrote, searched with the
     * default settings into OUT/search; the chosen edit is written, verified and measured on the test prompts.
     */
    private static int searchInstead(RunPlan plan, CommandSpec spec, boolean json, boolean progress, int trials) {
        spec.commandLine().getErr().println("Continuing with ortho search (--fallback search) in " + plan.out().resolve("search"));
        SearchRequest req = new SearchRequest(plan.model(), plan.out().resolve("search"), plan.harmfulTrain(), plan.harmlessTrain(),
                plan.harmfulVal(), plan.harmlessVal(), plan.harmfulTest(), plan.harmlessTest(), plan.refusalTokens(), plan.filter(),
                plan.out().resolve("candidates.safetensors"), plan.batch(), plan.threads(), false, true, plan.force(), plan.commandLine(),
                Double.NaN, plan.arch());
        SearchSettings settings = new SearchSettings(trials, 0, SearchSettings.DEFAULT_POPULATION, plan.maxKl(),
                SearchSettings.DEFAULT_CONTINUATION_TOKENS, plan.maxNewTokens(), SearchSettings.DEFAULT_CHECK,
                SearchSettings.DEFAULT_MAX_DIRECTIONS, true, true);
        SearchReport r = new RefusalSearch(req, settings, StepBar.forTerminal(progress), ProgressBar.forTerminal(progress)).run();
        SearchCommand.print(spec.commandLine().getOut(), r, req.out(), json);
        if (r.chosen() == null) return OrthoCommand.EXIT_BAD_INPUT;
        return r.heldout() != null && r.heldout().verifyOk() ? 0 : OrthoCommand.EXIT_VERIFY_FAILED;
    }

    /** 1 when the edited checkpoint failed verification or differs from hook ablation beyond the tolerance. */
    static int exitCode(RunReport report) {
        return report.checksPassed() ? 0 : OrthoCommand.EXIT_VERIFY_FAILED;
    }

    /** The verification verdict and the weight-edit-vs-hook equivalence, each in one line (failures listed). */
    static void printChecks(PrintWriter w, RunReport report) {
        RunReport.AblateSummary a = report.ablate();
        w.printf(Locale.ROOT, "Verification of the edited checkpoint (ortho verify --original): %s, %d checks, %d failed, %d not applicable%n",
                a.verifyOk() ? "VERIFIED" : "FAILED", a.verifyChecks(), a.verifyFailures(), a.verifyNotApplicable());
        for (String f : a.verifyMessages()) w.println("  FAIL " + f);
        RunReport.Equivalence e = report.equivalence();
        if (!e.applicable()) {
            w.printf(Locale.ROOT, "Weight edit vs hook ablation: max |dlogit| %.3g; equivalence not applicable: %s%n", e.maxAbsLogitDiff(), e.reason());
        } else {
            w.printf(Locale.ROOT, "Weight edit vs hook ablation: max |dlogit| %.3g, tolerance %.3g (%s): %s%n", e.maxAbsLogitDiff(),
                    e.tolerance(), e.reason(), e.ok() ? "EQUIVALENT" : "NOT EQUIVALENT");
        }
    }

    private RunPlan plan(List<String> ht, List<String> lt, List<String> hv, List<String> lv, List<String> hx, List<String> lx) {
        return new RunPlan(model, out, force, ht, lt, hv, lv, hx, lx, prompts.refusalTokens, !noFilter, pruneLayers, maxKl, minInduce,
                RunPlan.Fallback.parse(fallback), maxNewTokens, prompts.batch, prompts.threads(), tied, AblateCommand.commandLine(), archOptions.choice(),
                prompts.weightsF32);
    }

    static void print(PrintWriter w, RunReport report, Path out, boolean json) {
        if (json) {
            Json.print(w, report);
            return;
        }
        SelectionRow sel = report.candidates().stream().filter(SelectionRow::selected).findFirst().orElseThrow();
        w.printf(Locale.ROOT, "Selected direction (%s): position %d (%s), layer %d; bypass %.3f, induce %.3f, KL %.4f%n", report.method(),
                sel.position(), sel.token().replace("\n", "\\n"), sel.layer(), sel.bypassScore(), sel.induceScore(), sel.klScore());
        w.println("Refusal tokens: " + report.refusalTokens().describe() + "; completions: greedy, " + report.maxNewTokens() + " new tokens");
        w.println();
        w.printf(Locale.ROOT, "%-26s %12s %12s%n", "refusal rate", "harmful", "harmless");
        for (String c : List.of("baseline", "ablation", "actadd -1", "actadd +1", "weight edit")) {
            String hf = "-", hl = "-";
            for (RunReport.Rate e : report.refusal()) {
                if (!e.condition().equals(c)) continue;
                String v = String.format(Locale.ROOT, "%5.1f %%", 100 * e.refusalRate());
                if (e.promptSet().equals("harmful")) hf = v; else hl = v;
            }
            w.printf(Locale.ROOT, "%-26s %12s %12s%n", c, hf, hl);
        }
        w.println();
        StringBuilder ce = new StringBuilder("Cross-entropy of the harmless continuations (nats/token):");
        for (RunReport.CrossEntropy c : report.crossEntropy()) ce.append(String.format(Locale.ROOT, " %s %.3f;", c.condition(), c.crossEntropy()));
        w.println(ce.substring(0, ce.length() - 1));
        w.printf(Locale.ROOT, "First-token KL on harmless test, edited vs original: %.4f%n", report.compare().klEditedVsOriginalHarmlessMean());
        printChecks(w, report);
        double total = report.seconds().values().stream().mapToDouble(Double::doubleValue).sum();
        w.printf(Locale.ROOT, "Pipeline time: %.1f s. Report: %s%n", total, out.resolve("report.html"));
        w.flush();
    }
}
