package dev.ortho.cli;

import dev.ortho.core.pipeline.RefusalEvaluation;
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
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "run", description = {
        "The whole pipeline: extract -> select -> ablate (weight orthogonalization) -> verify -> compare -> eval.",
        "Without --harmful-val/--harmful-test (and the harmless ones), each file is split in file order: the first 60 %",
        "train the direction, the next 20 % select it, the rest test it. Writes OUT/report.html (self-contained),",
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

    @Option(names = "--json", description = "Print report.json instead of the summary table.")
    boolean json;

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
                throw new dev.ortho.formats.InvalidInputException("give all four of --harmful-val, --harmless-val, --harmful-test, --harmless-test, or none");
            plan = plan(h, l, prompts.read(harmfulVal), prompts.read(harmlessVal), prompts.read(harmfulTest), prompts.read(harmlessTest));
        } else {
            RunPlan.Split hs = RunPlan.Split.of(h, harmful.toString()), ls = RunPlan.Split.of(l, harmless.toString());
            plan = plan(hs.train(), ls.train(), hs.val(), ls.val(), hs.test(), ls.test());
        }
        Map<String, Object> report = new PipelineRunner(plan, StepBar.forTerminal(!prompts.noProgress && !json), ProgressBar.forTerminal(!prompts.noProgress && !json)).run();
        print(spec.commandLine().getOut(), report, out, json);
        return 0;
    }

    private RunPlan plan(List<String> ht, List<String> lt, List<String> hv, List<String> lv, List<String> hx, List<String> lx) {
        return new RunPlan(model, out, force, ht, lt, hv, lv, hx, lx, prompts.refusalTokens, !noFilter, 0.2, 0.1, 0.0,
                maxNewTokens, prompts.batch, prompts.threads, tied, prompts.weightsF32);
    }

    @SuppressWarnings("unchecked")
    static void print(PrintWriter w, Map<String, Object> report, Path out, boolean json) {
        if (json) {
            Json.print(w, report);
            return;
        }
        Map<String, Object> sel = (Map<String, Object>) ((Map<String, Object>) report.get("selection")).get("selected");
        w.printf(Locale.ROOT, "Selected direction: position %s (%s), layer %s; bypass %.3f, induce %.3f, KL %.4f%n", sel.get("position"),
                ((String) sel.get("token")).replace("\n", "\\n"), sel.get("layer"), (Double) sel.get("bypass_score"),
                (Double) sel.get("induce_score"), (Double) sel.get("kl_score"));
        w.println();
        w.printf(Locale.ROOT, "%-26s %12s %12s%n", "refusal rate", "harmful", "harmless");
        List<RefusalEvaluation> evals = (List<RefusalEvaluation>) report.get("evaluations");
        for (String c : List.of("baseline", "ablation", "actadd -1", "actadd +1", "weight edit")) {
            String hf = "-", hl = "-";
            for (RefusalEvaluation e : evals) {
                if (!e.condition().equals(c)) continue;
                String v = String.format(Locale.ROOT, "%5.1f %%", 100 * e.refusalRate());
                if (e.promptSet().equals("harmful")) hf = v; else hl = v;
            }
            w.printf(Locale.ROOT, "%-26s %12s %12s%n", c, hf, hl);
        }
        Map<String, Object> cmp = (Map<String, Object>) report.get("compare");
        w.println();
        w.printf(Locale.ROOT, "First-token KL on harmless test, edited vs original: %.4f; max |logit edited - hook ablation|: %.3g%n",
                (Double) cmp.get("kl_edited_vs_original_harmless_mean"), (Double) cmp.get("max_abs_logit_diff_edited_vs_hook_harmful"));
        double total = ((Map<String, Double>) report.get("seconds")).values().stream().mapToDouble(Double::doubleValue).sum();
        w.printf(Locale.ROOT, "Pipeline time: %.1f s. Report: %s%n", total, out.resolve("report.html"));
        w.flush();
    }
}
