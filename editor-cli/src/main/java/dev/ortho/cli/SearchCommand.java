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

@Command(name = "search", description = {
        "Searches for the edit that removes refusal with the least damage, beyond the paper's single direction: NSGA-II over",
        "the direction source (position, fractional layer index), the number of directions, biprojection, norm preservation",
        "and per-component layer kernels, minimizing the refusal score of harmful validation prompts and the KL on harmless",
        "ones. Each trial is an intervention of the runtime; nothing is written per trial. Writes OUT/trials.jsonl,",
        "OUT/pareto.json|csv, OUT/report.html and the exact ortho ablate command of the chosen edit; with --write the",
        "edited checkpoint OUT/model, verified and measured on the test prompts.",
        "Without --harmful-val/--harmful-test (and the harmless ones) each file is split 60/20/20 in file order."})
final class SearchCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MODEL", description = "Checkpoint directory.")
    Path model;

    @Option(names = "--harmful", paramLabel = "FILE", description = "Harmful instructions (train, or all to split).")
    Path harmful;

    @Option(names = "--harmless", paramLabel = "FILE", description = "Harmless instructions (train, or all to split).")
    Path harmless;

    @Option(names = "--harmful-val", paramLabel = "FILE") Path harmfulVal;
    @Option(names = "--harmless-val", paramLabel = "FILE") Path harmlessVal;
    @Option(names = "--harmful-test", paramLabel = "FILE") Path harmfulTest;
    @Option(names = "--harmless-test", paramLabel = "FILE") Path harmlessTest;

    @Option(names = "--candidates", paramLabel = "FILE",
            description = "Search from this candidates file of ortho extract (with its harmless means) instead of extracting one.")
    Path candidates;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    @Option(names = "--trials", paramLabel = "N", defaultValue = "160", description = "Edits tried (rounded up to whole generations; default ${DEFAULT-VALUE}).")
    int trials;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Optimizer seed: the same seed tries the same edits (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--population", paramLabel = "N", defaultValue = "16", description = "Edits per generation (default ${DEFAULT-VALUE}).")
    int population;

    @Option(names = "--max-kl", paramLabel = "K", defaultValue = "0.1",
            description = "The chosen edit keeps the first-token KL on harmless validation prompts under K (default ${DEFAULT-VALUE}).")
    double maxKl;

    @Option(names = "--continuation-tokens", paramLabel = "N", defaultValue = "16",
            description = "Greedy tokens after each harmless prompt over which the continuation KL is measured (default ${DEFAULT-VALUE}).")
    int continuationTokens;

    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "64",
            description = "Tokens generated when judging refusals by substrings (default ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--check", paramLabel = "N", defaultValue = "5",
            description = "Front points under --max-kl whose generations are judged (default ${DEFAULT-VALUE}).")
    int check;

    @Option(names = "--max-directions", paramLabel = "K", defaultValue = "3", description = "Largest number of directions tried (default ${DEFAULT-VALUE}).")
    int maxDirections;

    @Option(names = "--no-biproject", description = "Do not try biprojected directions.")
    boolean noBiproject;

    @Option(names = "--no-norm-preserving", description = "Do not try norm-preserving edits (they cost a weight edit per trial).")
    boolean noNormPreserving;

    @Option(names = "--resume", description = "Continue the search whose trial log is in OUT (same seed and settings).")
    boolean resume;

    @Option(names = "--write", description = "Write the chosen edit to OUT/model, verify it and measure it on the test prompts.")
    boolean write;

    @Option(names = "--force", description = "Start over in an OUT that holds an earlier search, and replace OUT/model.")
    boolean force;

    @Option(names = "--no-filter", description = "Keep every validation prompt (skip the baseline refusal-score filter).")
    boolean noFilter;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Mixin PromptOptions prompts;
    @Mixin Verbosity verbosity;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        prompts.check();
        SearchSettings settings = new SearchSettings(trials, seed, population, maxKl, continuationTokens, maxNewTokens, check, maxDirections,
                !noBiproject, !noNormPreserving);
        SearchRequest request = request();
        boolean bars = !prompts.noProgress && !json;
        SearchReport r = new RefusalSearch(request, settings, StepBar.forTerminal(bars), ProgressBar.forTerminal(bars)).run();
        print(spec.commandLine().getOut(), r, out, json);
        return r.heldout() != null && !r.heldout().verifyOk() ? OrthoCommand.EXIT_VERIFY_FAILED : 0;
    }

    private SearchRequest request() {
        List<String> none = List.of();
        if (harmfulVal != null || harmlessVal != null || harmfulTest != null || harmlessTest != null) {
            if (harmfulVal == null || harmlessVal == null) throw new InvalidInputException("give both --harmful-val and --harmless-val");
            if ((harmfulTest == null) != (harmlessTest == null)) throw new InvalidInputException("give both --harmful-test and --harmless-test, or neither");
            if (candidates == null && (harmful == null || harmless == null))
                throw new InvalidInputException("give --harmful and --harmless training prompts, or --candidates");
            return new SearchRequest(model, out, harmful == null ? none : prompts.read(harmful), harmless == null ? none : prompts.read(harmless),
                    prompts.read(harmfulVal), prompts.read(harmlessVal), harmfulTest == null ? none : prompts.read(harmfulTest),
                    harmlessTest == null ? none : prompts.read(harmlessTest), prompts.refusalTokens, !noFilter, candidates, prompts.batch,
                    prompts.threads, resume, write, force, AblateCommand.commandLine());
        }
        if (harmful == null || harmless == null) throw new InvalidInputException("give --harmful and --harmless (split 60/20/20), or the split files");
        RunPlan.Split hs = RunPlan.Split.of(prompts.read(harmful), harmful.toString()), ls = RunPlan.Split.of(prompts.read(harmless), harmless.toString());
        return new SearchRequest(model, out, hs.train(), ls.train(), hs.val(), ls.val(), hs.test(), ls.test(), prompts.refusalTokens, !noFilter,
                candidates, prompts.batch, prompts.threads, resume, write, force, AblateCommand.commandLine());
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
            w.printf(Locale.ROOT, "Started from the %s (position %d, layer %d): refusal score %.3f, first-token KL %.4f.%n", r.paper().how(),
                    r.paper().position(), r.paper().layer(), r.paper().objectives().refusalScore(), r.paper().objectives().firstTokenKl());
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
