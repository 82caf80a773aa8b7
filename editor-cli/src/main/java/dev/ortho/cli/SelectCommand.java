package dev.ortho.cli;

import dev.ortho.core.direction.CandidateDirections;
import dev.ortho.core.direction.CandidateDirectionsFile;
import dev.ortho.core.eval.CandidateScores;
import dev.ortho.core.eval.DirectionSelector;
import dev.ortho.core.eval.Selection;
import dev.ortho.core.eval.SelectionCriteria;
import dev.ortho.core.pipeline.CandidatesFile;
import dev.ortho.core.pipeline.FilteredPrompts;
import dev.ortho.core.pipeline.ModelSession;
import dev.ortho.core.pipeline.ReportFiles;
import dev.ortho.core.pipeline.RuntimeCandidateScorer;
import dev.ortho.core.pipeline.SelectionTable;
import dev.ortho.core.pipeline.StepProgress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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

    @Mixin PromptOptions prompts;
    @Mixin Verbosity verbosity;
    @Spec CommandSpec spec;

    /** What select computed, for the CLI and for ortho run. */
    record Outcome(Selection selection, List<Map<String, Object>> rows, Path directionFile, FilteredPrompts harmful,
                   FilteredPrompts harmless, double seconds) {}

    static Outcome select(ModelSession s, CandidateDirections c, List<String> hv, List<String> lv, int[] refusal, boolean filter,
                          SelectionCriteria criteria, boolean skipLate, Path out, StepProgress progress) {
        long t0 = System.nanoTime();
        FilteredPrompts h = FilteredPrompts.of(s, hv, true, refusal, filter, "harmful validation");
        FilteredPrompts l = FilteredPrompts.of(s, lv, false, refusal, filter, "harmless validation");
        DirectionSelector selector = new DirectionSelector(criteria);
        int count = c.positions() * (skipLate ? Math.min(c.layers(), criteria.maxLayerExclusive()) : c.layers());
        progress.begin("score candidates", count);
        RuntimeCandidateScorer scorer = new RuntimeCandidateScorer(s, h.ids(), l.ids(), refusal, progress);
        List<CandidateScores> scores = selector.scoreAll(c, scorer, skipLate);
        progress.end();
        Selection sel = selector.select(scores);
        List<Map<String, Object>> rows = SelectionTable.rows(sel, c, s.formatter().postInstructionIds(), s.tokenizer());
        CandidateScores best = sel.selected();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("bypass_score", Double.toString(best.bypassScore()));
        meta.put("induce_score", Double.toString(best.induceScore()));
        meta.put("kl_score", Double.toString(best.klScore()));
        Path file = out.resolve("direction.safetensors");
        ReportFiles.writeText(out.resolve("selection.csv"), SelectionTable.csv(rows)); // also creates OUT
        CandidateDirectionsFile.write(file, c, best.candidate().position(), best.candidate().layer(), meta);
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("selected", rows.stream().filter(r -> (Boolean) r.get("selected")).findFirst().orElseThrow());
        doc.put("criteria", ReportFiles.map("max_layer_exclusive", criteria.maxLayerExclusive(), "kl_threshold", criteria.klThreshold(),
                "induce_threshold", criteria.induceThreshold()));
        doc.put("validation", ReportFiles.map("harmful", h.ids().size(), "harmless", l.ids().size(),
                "harmful_baseline_mean", mean(h.baselineScores(), h.kept()), "harmless_baseline_mean", mean(l.baselineScores(), l.kept())));
        doc.put("refusal_token_ids", refusal);
        doc.put("survivors", sel.survivors().size());
        doc.put("candidates", rows);
        ReportFiles.writeJson(out.resolve("selection.json"), doc);
        return new Outcome(sel, rows, file, h, l, (System.nanoTime() - t0) / 1e9);
    }

    static double mean(double[] scores, int[] kept) {
        double sum = 0;
        for (int i : kept) sum += scores[i];
        return sum / kept.length;
    }

    @Override
    public Integer call() {
        prompts.check();
        Outcome o;
        try (ModelSession s = ModelSession.open(model, model, prompts.runtimeOptions(), prompts.batch)) {
            CandidateDirections c = CandidatesFile.read(candidates, s.runtime().config().numLayers(), s.runtime().config().hiddenSize());
            SelectionCriteria criteria = new SelectionCriteria(s.runtime().config().numLayers(), prune, maxKl, minInduce);
            List<String> hv = PromptOptions.limit(prompts.read(harmfulVal), n), lv = PromptOptions.limit(prompts.read(harmlessVal), n);
            int[] refusal = prompts.autoRefusalTokens() ? prompts.refusalIds(s, s.encode(hv), s.encode(lv), new LinkedHashMap<>())
                    : prompts.refusalIds(s.tokenizer());
            o = select(s, c, hv, lv, refusal, !noFilter, criteria, skipLate, out,
                    StepBar.forTerminal(!prompts.noProgress && !json));
        }
        PrintWriter w = spec.commandLine().getOut();
        CandidateScores b = o.selection().selected();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("direction", o.directionFile().toString());
            m.put("selected", o.rows().stream().filter(r -> (Boolean) r.get("selected")).findFirst().orElseThrow());
            m.put("survivors", o.selection().survivors().size());
            m.put("candidates", o.rows().size());
            m.put("seconds", o.seconds());
            Json.print(w, m);
        } else {
            w.printf(Locale.ROOT, "Selected position %d, layer %d: bypass %.4f, induce %.4f, KL %.5f (%d of %d candidates survive the filters; %.1f s)%n",
                    b.candidate().position(), b.candidate().layer(), b.bypassScore(), b.induceScore(), b.klScore(),
                    o.selection().survivors().size(), o.rows().size(), o.seconds());
            w.println("Wrote " + o.directionFile() + ", " + out.resolve("selection.json") + " and " + out.resolve("selection.csv"));
        }
        return 0;
    }
}
