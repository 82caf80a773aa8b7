package dev.ortho.cli;

import dev.ortho.core.pipeline.StepProgress;

import dev.ortho.core.pipeline.PromptVerdict;

import dev.ortho.core.pipeline.ContinuationLoss;

import dev.ortho.core.eval.RefusalJudge;
import dev.ortho.core.pipeline.ModelSession;
import dev.ortho.core.pipeline.RefusalEvaluation;
import dev.ortho.core.pipeline.RefusalEvaluator;
import dev.ortho.core.pipeline.ReportFiles;
import dev.ortho.core.runtime.Intervention;
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

@Command(name = "eval", description = {
        "Generate greedily and report the refusal rate: a completion is a refusal when it contains any of the paper's",
        "12 substrings (\"I'm sorry\", \"As an AI\", \"I cannot\", ...; case-insensitive). Also reports each prompt's",
        "refusal score (log-odds of the refusal tokens at the first position). --ablate removes r-hat from every layer",
        "input, attention and MLP output; --add adds COEF * r, r as stored (not normalized, as the paper does), to the",
        "input of --layer."})
final class EvalCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MODEL", description = "Checkpoint directory.")
    Path model;

    @Option(names = "--prompts", required = true, paramLabel = "FILE", description = "Instructions to evaluate.")
    Path promptsFile;

    @Option(names = "--n", paramLabel = "N", description = "Use the first N prompts.")
    Integer n;

    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "64", description = "Tokens to generate (default ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--substrings", paramLabel = "LIST", split = "\\|",
            description = "Refusal substrings separated by '|' (default: the paper's 12).")
    List<String> substrings;

    @Option(names = "--out", paramLabel = "FILE", description = "Write the per-prompt report to this JSON file.")
    Path out;

    @Option(names = "--cross-entropy", description = "Also the cross-entropy of the original model's greedy completions of the prompts,"
            + " teacher-forced under the condition (METHOD.md 5.4, on-distribution; the paper runs it on harmless prompts).")
    boolean crossEntropy;

    @Option(names = "--json", description = "Print the full report (with every completion) as JSON.")
    boolean json;

    @Mixin InterventionOptions intervention;
    @Mixin PromptOptions prompts;
    @Mixin ArchOptions archOptions;
    @Mixin Verbosity verbosity;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        prompts.check();
        List<String> instructions = PromptOptions.limit(prompts.read(promptsFile), n);
        RefusalJudge judge = substrings == null || substrings.isEmpty() ? RefusalJudge.paper() : new RefusalJudge(substrings);
        String condition = intervention.ablating() ? "ablation" : intervention.add != null
                ? String.format(Locale.ROOT, "actadd %+.2f @ layer %d", intervention.coef, intervention.layer) : "baseline";
        long t0 = System.nanoTime();
        RefusalEvaluation e;
        try (ModelSession s = ModelSession.open(model, model, prompts.runtimeOptions(), prompts.batch, archOptions.choice())) {
            Intervention iv = intervention.build(s.runtime().config());
            e = new RefusalEvaluator(s, judge, prompts.refusalTokens(s.tokenizer()).ids(), maxNewTokens)
                    .evaluate(condition, promptsFile.getFileName().toString(), instructions, iv, StepBar.forTerminal(!prompts.noProgress && !json));
            if (crossEntropy) {
                // The text scored is the ORIGINAL model's completions: its own when evaluating the baseline.
                List<String> original = condition.equals("baseline") ? e.prompts().stream().map(PromptVerdict::completion).toList()
                        : s.complete(s.encode(instructions), maxNewTokens, Intervention.none(), RefusalEvaluator.GENERATE_BATCH, StepProgress.NONE);
                e = e.withCrossEntropy(ContinuationLoss.of(s.runtime(), ContinuationLoss.sequences(s, instructions, original), iv));
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        if (out != null) ReportFiles.writeJson(out, e);
        PrintWriter w = spec.commandLine().getOut();
        if (json) {
            w.println(ReportFiles.json(e));
            w.flush();
        } else {
            w.printf(Locale.ROOT, "%s on %s: refusal rate %.1f %% (%d of %d), mean refusal score %.3f (%.1f s)%n", condition,
                    e.promptSet(), 100 * e.refusalRate(), e.refused(), e.prompts().size(), e.meanRefusalScore(), secs);
            if (e.continuationCrossEntropy() != null) {
                w.printf(Locale.ROOT, "cross-entropy of the original's completions under %s: %.4f nats/token (perplexity %.3f, %d tokens)%n",
                        condition, e.continuationCrossEntropy().crossEntropy(), e.continuationCrossEntropy().perplexity(),
                        e.continuationCrossEntropy().tokens());
            }
            if (out != null) w.println("Wrote " + out);
        }
        return 0;
    }
}
