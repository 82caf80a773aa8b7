package dev.ortho.cli;

import dev.ortho.core.direction.CandidateDirections;
import dev.ortho.core.edit.AblationRequest;
import dev.ortho.core.edit.CheckpointEditor;
import dev.ortho.core.edit.EditOptions;
import dev.ortho.core.edit.LayerSelection;
import dev.ortho.core.edit.ProgressListener;
import dev.ortho.core.edit.TiedPolicy;
import dev.ortho.core.eval.CandidateScores;
import dev.ortho.core.eval.FirstTokenKl;
import dev.ortho.core.eval.RefusalJudge;
import dev.ortho.core.eval.SelectionCriteria;
import dev.ortho.core.pipeline.CandidatesFile;
import dev.ortho.core.pipeline.DirectionExtractor;
import dev.ortho.core.pipeline.Extraction;
import dev.ortho.core.pipeline.ModelSession;
import dev.ortho.core.pipeline.RefusalEvaluation;
import dev.ortho.core.pipeline.RefusalEvaluator;
import dev.ortho.core.pipeline.ReportFiles;
import dev.ortho.core.pipeline.StepProgress;
import dev.ortho.core.runtime.ForwardResult;
import dev.ortho.core.runtime.Intervention;
import dev.ortho.core.verify.Verifier;
import dev.ortho.core.verify.VerifyReport;
import dev.ortho.formats.InvalidInputException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The paper's pipeline end to end (METHOD.md §0): extract (§1) → select (§2) → weight orthogonalization (§4,
 * {@link CheckpointEditor}) → verify → compare (edited vs original, edited vs hook ablation) → evaluation of the
 * test prompts (§5) under baseline, directional ablation, activation addition and the edited weights. Returns
 * the report as a JSON-ready tree; writes every artifact under the plan's output directory.
 */
final class PipelineRunner {

    private static final Logger LOG = LoggerFactory.getLogger(PipelineRunner.class);

    private final RunPlan plan;
    private final StepProgress progress;
    private final ProgressListener editProgress;
    private final Map<String, Double> seconds = new LinkedHashMap<>();

    PipelineRunner(RunPlan plan, StepProgress progress, ProgressListener editProgress) {
        this.plan = plan;
        this.progress = progress;
        this.editProgress = editProgress;
    }

    Map<String, Object> run() {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("model", plan.model().toString());
        Path edited = plan.out().resolve("model");
        Selected sel;
        List<RefusalEvaluation> evals = new ArrayList<>();
        Map<String, Object> compare = new LinkedHashMap<>();
        try (ModelSession s = ModelSession.open(plan.model(), plan.model(), PromptOptions.runtimeOptions(plan.threads(), plan.weightsF32()), plan.batch())) {
            PromptOptions po = new PromptOptions();
            po.refusalTokens = plan.refusalTokens();
            List<int[]> harmfulTrain = s.encode(plan.harmfulTrain()), harmlessTrain = s.encode(plan.harmlessTrain());
            Map<String, Object> derivation = new LinkedHashMap<>();
            int[] refusal = po.refusalIds(s, harmfulTrain, harmlessTrain, derivation);
            report.putAll(derivation);
            int layers = s.runtime().config().numLayers();
            report.put("architecture", String.join(",", s.runtime().config().architectures()));
            report.put("num_layers", layers);
            report.put("hidden_size", s.runtime().config().hiddenSize());
            report.put("eoi_token_ids", s.formatter().postInstructionIds());
            report.put("refusal_token_ids", refusal);
            report.put("prompt_counts", ReportFiles.map("harmful_train", plan.harmfulTrain().size(), "harmless_train", plan.harmlessTrain().size(),
                    "harmful_val", plan.harmfulVal().size(), "harmless_val", plan.harmlessVal().size(),
                    "harmful_test", plan.harmfulTest().size(), "harmless_test", plan.harmlessTest().size()));

            long t = System.nanoTime();
            Extraction x = new DirectionExtractor(s, refusal, plan.filter()).extract(harmfulTrain, harmlessTrain, progress);
            CandidatesFile.write(plan.out().resolve("candidates.safetensors"), x.candidates(), new LinkedHashMap<>());
            lap("extract", t);
            report.put("extract", ReportFiles.map("harmful_kept", x.keptHarmful().length, "harmless_kept", x.keptHarmless().length));

            t = System.nanoTime();
            SelectionCriteria criteria = new SelectionCriteria(layers, plan.pruneLayers(), plan.maxKl(), plan.minInduce());
            SelectCommand.Outcome o = SelectCommand.select(s, x.candidates(), plan.harmfulVal(), plan.harmlessVal(), refusal, plan.filter(),
                    criteria, false, plan.out(), progress);
            lap("select", t);
            sel = new Selected(o, x.candidates());
            report.put("selection", ReportFiles.map("criteria", ReportFiles.map("max_layer_exclusive", criteria.maxLayerExclusive(),
                            "kl_threshold", criteria.klThreshold(), "induce_threshold", criteria.induceThreshold()),
                    "validation", ReportFiles.map("harmful", o.harmful().ids().size(), "harmless", o.harmless().ids().size()),
                    "selected", o.rows().stream().filter(r -> (Boolean) r.get("selected")).findFirst().orElseThrow(),
                    "survivors", o.selection().survivors().size()));
            report.put("candidates", o.rows());

            t = System.nanoTime();
            TiedPolicy tied;
            try {
                tied = TiedPolicy.parse(plan.tiedPolicy());
            } catch (IllegalArgumentException e) {
                throw new InvalidInputException("--tied-embeddings: " + e.getMessage());
            }
            EditOptions eo = new EditOptions(1.0, LayerSelection.ALL, EditOptions.defaults().components(), tied, false,
                    Math.max(1, plan.threads() == 0 ? Runtime.getRuntime().availableProcessors() : plan.threads()), true);
            CheckpointEditor.Result edit = CheckpointEditor.ablate(new AblationRequest(plan.model(), o.directionFile().toString(),
                    edited, plan.force(), eo, Optional.empty(), Optional.empty(), AblateCommand.commandLine()), editProgress);
            lap("ablate", t);
            t = System.nanoTime();
            VerifyReport v = Verifier.verify(edited, Optional.of(plan.model()), eo.threads());
            lap("verify", t);
            report.put("ablate", ReportFiles.map("out", edited.toString(), "edited_tensors", edit.manifest().edits().size(),
                    "untied", edit.plan().untied(), "verify_ok", v.ok(), "verify_failures", v.failures().size()));

            float[] dir = InterventionOptions.toFloat(sel.raw());
            Intervention ablate = Intervention.ablate(dir);
            Intervention addPlus = Intervention.actAdd(dir, sel.layer(), 1.0);
            Intervention addMinus = Intervention.actAdd(dir, sel.layer(), -1.0);
            RefusalEvaluator ev = new RefusalEvaluator(s, RefusalJudge.paper(), refusal, plan.maxNewTokens());
            t = System.nanoTime();
            evals.add(ev.evaluate("baseline", "harmful", plan.harmfulTest(), Intervention.none(), progress));
            evals.add(ev.evaluate("baseline", "harmless", plan.harmlessTest(), Intervention.none(), progress));
            evals.add(ev.evaluate("ablation", "harmful", plan.harmfulTest(), ablate, progress));
            evals.add(ev.evaluate("ablation", "harmless", plan.harmlessTest(), ablate, progress));
            evals.add(ev.evaluate("actadd -1", "harmful", plan.harmfulTest(), addMinus, progress));
            evals.add(ev.evaluate("actadd +1", "harmless", plan.harmlessTest(), addPlus, progress));
            lap("eval (original model)", t);

            t = System.nanoTime();
            List<int[]> harmlessIds = s.encode(plan.harmlessTest());
            List<int[]> harmfulIds = s.encode(plan.harmfulTest());
            List<float[]> baseHarmless = s.lastLogits(harmlessIds, Intervention.none());
            List<float[]> hookHarmless = s.lastLogits(harmlessIds, ablate);
            List<float[]> hookHarmful = s.lastLogits(harmfulIds, ablate);
            report.put("cosine_with_direction", ReportFiles.map(
                    "harmful", cosines(s, harmfulIds, dir), "harmless", cosines(s, harmlessIds, dir)));
            try (ModelSession e = ModelSession.open(edited, plan.model(), PromptOptions.runtimeOptions(plan.threads(), plan.weightsF32()), plan.batch())) {
                List<float[]> editHarmless = e.lastLogits(harmlessIds, Intervention.none());
                List<float[]> editHarmful = e.lastLogits(harmfulIds, Intervention.none());
                double[] klEdit = kls(baseHarmless, editHarmless);
                compare.put("kl_edited_vs_original_harmless", klEdit);
                compare.put("kl_edited_vs_original_harmless_mean", mean(klEdit));
                compare.put("kl_hook_vs_original_harmless_mean", mean(kls(baseHarmless, hookHarmless)));
                compare.put("max_abs_logit_diff_edited_vs_hook_harmful", maxAbs(editHarmful, hookHarmful));
                compare.put("max_abs_logit_diff_edited_vs_hook_harmless", maxAbs(editHarmless, hookHarmless));
                compare.put("kl_edited_vs_hook_harmful_mean", mean(kls(hookHarmful, editHarmful)));
                lap("compare", t);
                t = System.nanoTime();
                RefusalEvaluator ee = new RefusalEvaluator(e, RefusalJudge.paper(), refusal, plan.maxNewTokens());
                evals.add(ee.evaluate("weight edit", "harmful", plan.harmfulTest(), Intervention.none(), progress));
                evals.add(ee.evaluate("weight edit", "harmless", plan.harmlessTest(), Intervention.none(), progress));
                lap("eval (edited model)", t);
            }
        }
        report.put("compare", compare);
        Map<String, Object> rates = new LinkedHashMap<>();
        for (RefusalEvaluation e : evals)
            rates.put(e.condition() + " / " + e.promptSet(), ReportFiles.map("refusal_rate", e.refusalRate(), "mean_refusal_score", e.meanRefusalScore(),
                    "refused", e.refused(), "prompts", e.prompts().size()));
        report.put("refusal", rates);
        report.put("evaluations", evals);
        report.put("seconds", seconds);
        ReportFiles.writeJson(plan.out().resolve("report.json"), report);
        ReportFiles.writeText(plan.out().resolve("report.html"), HtmlReport.render(report, evals));
        LOG.info("pipeline done: {}", seconds);
        return report;
    }

    /** Mean over prompts of cos(x_{-1}^(l), r̂) at every layer input 0..L−1 and the final residual (METHOD.md §8). */
    private static double[] cosines(ModelSession s, List<int[]> prompts, float[] dir) {
        int layers = s.runtime().config().numLayers();
        double[] sum = new double[layers + 1];
        double rn = 0;
        for (float d : dir) rn += (double) d * d;
        rn = Math.sqrt(rn);
        for (int i = 0; i < prompts.size(); i += s.batchSize()) {
            List<int[]> b = prompts.subList(i, Math.min(prompts.size(), i + s.batchSize()));
            ForwardResult r = s.forwardWithResiduals(b, 1);
            for (int j = 0; j < b.size(); j++) {
                for (int l = 0; l <= layers; l++) {
                    float[] x = r.residual(j, l);
                    double dot = 0, xn = 0;
                    for (int k = 0; k < x.length; k++) {
                        dot += (double) x[k] * dir[k];
                        xn += (double) x[k] * x[k];
                    }
                    sum[l] += xn == 0 ? 0 : dot / (Math.sqrt(xn) * rn);
                }
            }
        }
        for (int l = 0; l <= layers; l++) sum[l] /= prompts.size();
        return sum;
    }

    private static double[] kls(List<float[]> p, List<float[]> q) {
        double[] k = new double[p.size()];
        for (int i = 0; i < k.length; i++) k[i] = FirstTokenKl.of(p.get(i), q.get(i));
        return k;
    }

    private static double maxAbs(List<float[]> a, List<float[]> b) {
        double m = 0;
        for (int i = 0; i < a.size(); i++)
            for (int v = 0; v < a.get(i).length; v++) m = Math.max(m, Math.abs(a.get(i)[v] - b.get(i)[v]));
        return m;
    }

    private static double mean(double[] x) {
        double s = 0;
        for (double d : x) s += d;
        return s / x.length;
    }

    private void lap(String step, long startNanos) {
        seconds.put(step, (System.nanoTime() - startNanos) / 1e9);
    }

    /** The selected candidate and its raw direction. */
    private record Selected(SelectCommand.Outcome outcome, CandidateDirections candidates) {
        CandidateScores best() { return outcome.selection().selected(); }
        int layer() { return best().candidate().layer(); }
        double[] raw() { return candidates.direction(best().candidate().position(), best().candidate().layer()); }
    }
}
