package dev.ortho.cli;

import dev.ortho.core.direction.CandidateDirections;
import dev.ortho.core.eval.SelectionCriteria;
import dev.ortho.core.pipeline.CandidatesFile;
import dev.ortho.core.pipeline.DirectionSelectionStep;
import dev.ortho.core.pipeline.SelectionReport;
import dev.ortho.core.pipeline.SelectionRow;
import dev.ortho.core.eval.SelectionDiagnosis;
import dev.ortho.core.pipeline.ModelSession;
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

@Command(name = "select", description = {
        "Select the refusal direction among the candidates (Arditi et al. 2024, §2.4 of METHOD.md): score each on the",
        "validation prompts (bypass: refusal score of harmful prompts with r ablated; induce: of harmless prompts with r",
        "added at its layer; KL: first-token KL on harmless prompts under ablation), discard late layers, KL > 0.1 and",
        "induce < 0, and take the lowest bypass score. Writes OUT/direction.safetensors (usable by ortho ablate",
        "--direction), OUT/selection.json and OUT/selection.csv."})
final class SelectCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MODEL", description = "Checkpoint directory.")
    Path model;

    @Option(names = "--candidates", required = true, paramLabel = "FILE", description = "candidates.safetensors from ortho extract.")
    Path candidates;

    @Option(names = "--harmful-val", required = true, paramLabel = "FILE", description = "Harmful validation instructions.")
    Path harmfulVal;

    @Option(names = "--harmless-val", required = true, paramLabel = "FILE", description = "Harmless validation instructions.")
    Path harmlessVal;

    @Option(names = "--n", paramLabel = "N", description = "Use the first N prompts of each file (the paper: 32).")
    Integer n;

    @Option(names = "--no-filter", description = "Keep every validation prompt (skip the baseline refusal-score filter).")
    boolean noFilter;

    @Option(names = "--prune-layers", paramLabel = "F", defaultValue = "0.2",
            description = "Discard layers >= L*(1-F) (default ${DEFAULT-VALUE}).")
    double prune;

    @Option(names = "--max-kl", paramLabel = "X", defaultValue = "0.1", description = "Discard KL above X (default ${DEFAULT-VALUE}).")
    double maxKl;

    @Option(names = "--min-induce", paramLabel = "X", defaultValue = "0.0", description = "Discard induce below X (default ${DEFAULT-VALUE}).")
    double minInduce;

    @Option(names = "--skip-late-layers", description = "Do not score candidates the layer filter discards anyway.")
    boolean skipLate;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    @Option(names = "--json", description = "Print the selection as JSON.")
    boolean json;

    @Mixin ArchOptions archOptions;
    @Mixin PromptOptions prompts;
    @Mixin Verbosity verbosity;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        prompts.check();
        DirectionSelectionStep.Result o;
        try (ModelSession s = ModelSession.open(model, model, prompts.runtimeOptions(), prompts.batch, archOptions.choice())) {
            CandidateDirections c = CandidatesFile.read(candidates, s.runtime().config().numLayers(), s.runtime().config().hiddenSize());
            SelectionCriteria criteria = new SelectionCriteria(s.runtime().config().numLayers(), prune, maxKl, minInduce);
            List<String> hv = PromptOptions.limit(prompts.read(harmfulVal), n), lv = PromptOptions.limit(prompts.read(harmlessVal), n);
            int[] refusal = prompts.refusalTokens(s, s.encode(hv), s.encode(lv)).ids();
            o = DirectionSelectionStep.run(s, c, hv, lv, refusal, !noFilter, criteria, skipLate, out,
                    StepBar.forTerminal(!prompts.noProgress && !json));
        }
        PrintWriter w = spec.commandLine().getOut();
        SelectionReport r = o.report();
        if (json) {
            Json.print(w, r);
        } else if (r.anySelected()) {
            SelectionRow b = r.selected();
            w.printf(Locale.ROOT, "Selected position %d, layer %d: bypass %.4f, induce %.4f, KL %.5f (%d of %d candidates survive the filters; %.1f s)%n",
                    b.position(), b.layer(), b.bypassScore(), b.induceScore(), b.klScore(), r.survivors(), r.candidates().size(), r.seconds());
            w.println("Wrote " + r.directionFile() + ", " + out.resolve("selection.json") + " and " + out.resolve("selection.csv"));
        }
        if (!r.anySelected()) {
            PrintWriter e = spec.commandLine().getErr();
            printDiagnosis(e, r.diagnosis());
            e.println("The scores of every candidate are in " + out.resolve("selection.json") + " and " + out.resolve("selection.csv") + ".");
            e.flush();
            return OrthoCommand.EXIT_BAD_INPUT;
        }
        return 0;
    }

    /** The diagnosis of a selection that found nothing, for a person. */
    static void printDiagnosis(PrintWriter e, SelectionDiagnosis d) {
        e.println("ortho: no direction selected: " + d.summary());
        for (String s : d.explanation()) e.println("  " + s);
        if (!d.suggestions().isEmpty()) {
            e.println("Try:");
            for (String s : d.suggestions()) e.println("  - " + s);
        }
    }
}
