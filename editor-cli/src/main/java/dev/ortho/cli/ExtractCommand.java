package dev.ortho.cli;

import dev.ortho.core.pipeline.RefusalTokenChoice;

import dev.ortho.core.direction.CandidateDirections;
import dev.ortho.core.pipeline.CandidatesFile;
import dev.ortho.core.pipeline.DirectionExtractor;
import dev.ortho.core.pipeline.Extraction;
import dev.ortho.core.pipeline.ModelSession;
import dev.ortho.core.pipeline.ReportFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "extract", description = {
        "Candidate refusal directions by difference in means (Arditi et al. 2024): r[i,l] = mean over harmful - mean over",
        "harmless of the residual stream at the input of layer l, at each post-instruction position i, in float64.",
        "Prompts are first filtered by the model's baseline refusal score (harmful > 0, harmless < 0).",
        "Writes OUT/candidates.safetensors (mean_diffs [n_eoi, L, hidden]) and OUT/extract.json."})
final class ExtractCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MODEL", description = "Checkpoint directory with tokenizer.json and a chat template.")
    Path model;

    @Option(names = "--harmful", required = true, paramLabel = "FILE", description = "Harmful instructions (JSON, JSONL, CSV or text).")
    Path harmful;

    @Option(names = "--harmless", required = true, paramLabel = "FILE", description = "Harmless instructions.")
    Path harmless;

    @Option(names = "--n", paramLabel = "N", description = "Use the first N prompts of each file (the paper: 128).")
    Integer n;

    @Option(names = "--seed", paramLabel = "S", description = "With --n: draw the N prompts at random with this seed instead of taking the first N.")
    Long seed;

    @Option(names = "--no-filter", description = "Keep every prompt (skip the baseline refusal-score filter).")
    boolean noFilter;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Mixin PromptOptions prompts;
    @Mixin ArchOptions archOptions;
    @Mixin Verbosity verbosity;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        prompts.check();
        List<String> h = PromptOptions.sample(prompts.read(harmful), n, seed);
        List<String> l = PromptOptions.sample(prompts.read(harmless), n, seed);
        long t0 = System.nanoTime();
        Map<String, Object> report = new LinkedHashMap<>();
        try (ModelSession s = ModelSession.open(model, model, prompts.runtimeOptions(), prompts.batch, archOptions.choice())) {
            List<int[]> hi = s.encode(h), li = s.encode(l);
            RefusalTokenChoice tokens = prompts.refusalTokens(s, hi, li);
            int[] refusal = tokens.ids();
            Extraction e = new DirectionExtractor(s, refusal, !noFilter).extract(hi, li, StepBar.forTerminal(!prompts.noProgress && !json));
            CandidateDirections c = e.candidates();
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("eoi_token_ids", Arrays.toString(s.formatter().postInstructionIds()));
            meta.put("refusal_token_ids", Arrays.toString(refusal));
            meta.put("harmful_count", Integer.toString(e.keptHarmful().length));
            meta.put("harmless_count", Integer.toString(e.keptHarmless().length));
            meta.put("harmful_sha256", ReportFiles.sha256(harmful));
            meta.put("harmless_sha256", ReportFiles.sha256(harmless));
            Path file = out.resolve("candidates.safetensors");
            CandidatesFile.write(file, c, e.harmlessMeans(), meta);
            report.put("candidates", file.toString());
            report.put("positions", c.positions());
            report.put("layers", c.layers());
            report.put("hidden", c.hidden());
            report.put("eoi_token_ids", s.formatter().postInstructionIds());
            report.put("refusal_token_ids", refusal);
            report.put("refusal_tokens", tokens);
            report.put("sample", ReportFiles.map("n", n, "seed", seed));
            report.put("filter", !noFilter);
            report.put("harmful", ReportFiles.map("file", harmful.toString(), "sha256", meta.get("harmful_sha256"), "prompts", h.size(),
                    "kept", e.keptHarmful().length));
            report.put("harmless", ReportFiles.map("file", harmless.toString(), "sha256", meta.get("harmless_sha256"), "prompts", l.size(),
                    "kept", e.keptHarmless().length));
            report.put("baseline_refusal_scores", ReportFiles.map("harmful", e.harmfulScores(), "harmless", e.harmlessScores()));
            double[][] norms = new double[c.positions()][c.layers()];
            for (int p = 0; p < c.positions(); p++)
                for (int layer = 0; layer < c.layers(); layer++) norms[p][layer] = c.norm(p - c.positions(), layer);
            report.put("norms", norms);
            ReportFiles.writeJson(out.resolve("extract.json"), report);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        PrintWriter w = spec.commandLine().getOut();
        if (json) {
            Json.print(w, report);
        } else {
            w.printf(Locale.ROOT, "%d x %d candidate directions from %s harmful and %s harmless prompts in %.1f s%n",
                    (Integer) report.get("positions"), (Integer) report.get("layers"),
                    ((Map<?, ?>) report.get("harmful")).get("kept"), ((Map<?, ?>) report.get("harmless")).get("kept"), secs);
            w.println("Wrote " + report.get("candidates") + " and " + out.resolve("extract.json"));
        }
        return 0;
    }
}
