package dev.ortho.cli;

import dev.ortho.core.pipeline.RunPlan;
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

@Command(name = "search", description = "Searches for the edit that removes refusal with the least damage, beyond the paper's single "
        + "direction: NSGA-II over the direction source (position, fractional layer index), the number of "
        + "directions, biprojection, norm preservation and per-component layer kernels, minimizing the refusal "
        + "score of harmful validation prompts and the KL on harmless ones. Each trial is an intervention of "
        + "the runtime; nothing is written per trial. Writes OUT/trials.jsonl, OUT/pareto.json|csv, "
        + "OUT/report.html and the exact ortho ablate command of the chosen edit; with --write the edited "
        + "checkpoint OUT/model, verified and measured on the test prompts. Without --harmful-val/--harmful-"
        + "test (and the harmless ones) each file is split 60/20/20 in file order.")
final class SearchCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MODEL", description = "Checkpoint directory.")
    Path model;

    @Option(names = "--write", description = "Write the chosen edit to OUT/model, verify it and measure it on the test prompts.")
    boolean write;

    @Mixin SearchOptions search;
    @Mixin ArchOptions archOptions;
    @Mixin PromptOptions prompts;
    @Mixin Verbosity verbosity;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        prompts.check();
        boolean bars = !prompts.noProgress && !search.json;
        SearchReport r = new RefusalSearch(search.request(model, search.out, prompts, write, Double.NaN, archOptions.choice()), search.settings(),
                StepBar.forTerminal(bars), ProgressBar.forTerminal(bars)).run();
        print(spec.commandLine().getOut(), r, search.out, search.json);
        return r.heldout() != null && !r.heldout().verifyOk() ? OrthoCommand.EXIT_VERIFY_FAILED : 0;
    }

    static void print(PrintWriter w, SearchReport r, Path out, boolean json) {
        if (json) {
            Json.print(w, r);
            return;
        }
        w.printf(Locale.ROOT, "%d trials (%d failed); Pareto front of %d edits. Original model: refusal score %.3f, refuses %.0f %% harmful /"
                        + " %.0f %% harmless (validation).%n", r.trials(), r.failedTrials(), r.front().size(), r.baseline().refusalScore(),
                100 * r.baseline().harmfulRefusalRate(), 100 * r.baseline().harmlessRefusalRate());
        if (r.paper() != null && r.paper().objectives() != null) {
            w.printf(Locale.ROOT, "Started from the %s (position %d, layer %d): refusal score %.3f, first-token KL %.4f%s.%n", r.paper().how(),
                    r.paper().position(), r.paper().layer(), r.paper().objectives().refusalScore(), r.paper().objectives().firstTokenKl(),
                    Double.isNaN(r.paper().harmfulRefusalRate()) ? "" : String.format(Locale.ROOT, "; refuses %.0f %% harmful / %.0f %% harmless",
                            100 * r.paper().harmfulRefusalRate(), 100 * r.paper().harmlessRefusalRate()));
        }
        if (r.chosen() == null) {
            w.printf(Locale.ROOT, "No edit on the front keeps the first-token KL under %s: raise --max-kl or --trials (see %s).%n",
                    r.settings().maxKl(), out.resolve("pareto.csv"));
        } else {
            var c = r.chosen();
            w.printf(Locale.ROOT, "Chosen (trial %d): %s%n  validation: refusal score %.3f, first-token KL %.4f, continuation KL %.4f;"
                            + " refuses %.0f %% harmful / %.0f %% harmless%n", c.trial(), c.point().describe(), c.objectives().refusalScore(),
                    c.objectives().firstTokenKl(), c.objectives().continuationKl(), 100 * c.harmfulRefusalRate(), 100 * c.harmlessRefusalRate());
            w.println("Reproduce: " + r.command());
        }
        if (r.heldout() != null) {
            var h = r.heldout();
            w.printf(Locale.ROOT, "Held out (test): original refuses %.0f %% harmful / %.0f %% harmless; edited %.0f %% / %.0f %%,"
                            + " first-token KL %.4f; verification %s. Edited checkpoint: %s%n", 100 * h.baselineHarmfulRefusalRate(),
                    100 * h.baselineHarmlessRefusalRate(), 100 * h.editedHarmfulRefusalRate(), 100 * h.editedHarmlessRefusalRate(),
                    h.firstTokenKl(), h.verifyOk() ? "passed" : "FAILED", h.editedModel());
        }
        double total = r.seconds().values().stream().mapToDouble(Double::doubleValue).sum();
        w.printf(Locale.ROOT, "Search time %.1f s. Report: %s%n", total, out.resolve("report.html"));
        w.flush();
    }
}
