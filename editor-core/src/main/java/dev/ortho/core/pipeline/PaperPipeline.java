package dev.ortho.core.pipeline;

import dev.ortho.core.direction.CandidateDirections;
import dev.ortho.core.edit.AblationRequest;
import dev.ortho.core.edit.CheckpointEditor;
import dev.ortho.core.edit.EditOptions;
import dev.ortho.core.edit.LayerSelection;
import dev.ortho.core.edit.ProgressListener;
import dev.ortho.core.edit.TiedPolicy;
import dev.ortho.core.eval.CandidateEvaluation;
import dev.ortho.core.eval.CandidateScores;
import dev.ortho.core.eval.EvaluatedCandidate;
import dev.ortho.core.eval.FilterReason;
import dev.ortho.core.eval.FirstTokenKl;
import dev.ortho.core.eval.RefusalJudge;
import dev.ortho.core.eval.SelectionCriteria;
import dev.ortho.core.eval.NoSurvivingCandidateException;
import dev.ortho.core.runtime.ForwardResult;
import dev.ortho.core.runtime.Intervention;
import dev.ortho.core.verify.CheckResult;
import dev.ortho.core.verify.HookEquivalence;
import dev.ortho.core.verify.VerifyReport;
import dev.ortho.formats.InvalidInputException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The paper's pipeline end to end (METHOD.md §0): extract (§1) → select (§2) → weight orthogonalization (§4)
 * → verify → compare (edited vs original, edited vs hook ablation) → evaluation of the test prompts (§5) under
 * baseline, directional ablation, activation addition and the edited weights, with the cross-entropy of the
 * baseline's harmless completions under each (§5.4). Writes every artifact under the plan's output directory and
 * returns the typed report.
 *
 * <p>When no candidate survives selection, selection.json/csv are still written; then the plan's
 * {@link RunPlan.Fallback} decides: stop with the diagnosis, or take the reference's own fallback (ignore KL).
 * {@link RunPlan.Fallback#SEARCH} is handled by the caller, which catches {@link NoSurvivingCandidateException}.
 */
public final class PaperPipeline {

    private static final Logger LOG = LoggerFactory.getLogger(PaperPipeline.class);

    private final RunPlan plan;
    private final StepProgress progress;
    private final ProgressListener editProgress;
    private final Map<String, Double> seconds = new LinkedHashMap<>();

    private final EditVerification verification;

    public PaperPipeline(RunPlan plan, StepProgress progress, ProgressListener editProgress) {
        this(plan, progress, editProgress, EditVerification.VERIFY);
    }

    public PaperPipeline(RunPlan plan, StepProgress progress, ProgressListener editProgress, EditVerification verification) {
        this.plan = plan;
        this.progress = progress;
        this.editProgress = editProgress;
        this.verification = verification;
    }

    /** @throws NoSurvivingCandidateException when selection finds nothing and the fallback is not IGNORE_KL */
    public RunReport run() {
        Path edited = plan.out().resolve("model");
        try (ModelSession s = ModelSession.open(plan.model(), plan.model(), plan.runtimeOptions(), plan.batch(), plan.arch())) {
            List<int[]> harmfulTrain = s.encode(plan.harmfulTrain()), harmlessTrain = s.encode(plan.harmlessTrain());
            RefusalTokenChoice tokens = RefusalTokenChoice.resolve(plan.refusalTokens(), s, () -> harmfulTrain, () -> harmlessTrain);
            int[] refusal = tokens.ids();
            int layers = s.runtime().config().numLayers();

            long t = System.nanoTime();
            Extraction x = new DirectionExtractor(s, refusal, plan.filter()).extract(harmfulTrain, harmlessTrain, progress);
            CandidatesFile.write(plan.out().resolve("candidates.safetensors"), x.candidates(), x.harmlessMeans(), new LinkedHashMap<>());
            lap("extract", t);

            t = System.nanoTime();
            SelectionCriteria criteria = new SelectionCriteria(layers, plan.pruneLayers(), plan.maxKl(), plan.minInduce());
            DirectionSelectionStep.Result sel = DirectionSelectionStep.run(s, x.candidates(), plan.harmfulVal(), plan.harmlessVal(),
                    refusal, plan.filter(), criteria, false, plan.out(), progress);
            lap("select", t);
            Chosen chosen = choose(sel, x.candidates());

            t = System.nanoTime();
            TiedPolicy tied;
            try {
                tied = TiedPolicy.parse(plan.tiedPolicy());
            } catch (IllegalArgumentException e) {
                throw new InvalidInputException("--tied-embeddings: " + e.getMessage());
            }
            int threads = Math.max(1, plan.threads() == 0 ? Runtime.getRuntime().availableProcessors() : plan.threads());
            EditOptions eo = new EditOptions(1.0, LayerSelection.ALL, EditOptions.defaults().components(), tied, false, threads, true);
            Path directionFile = plan.out().resolve("direction.safetensors");
            if (chosen.fallback) {
                dev.ortho.core.direction.CandidateDirectionsFile.write(directionFile, x.candidates(), chosen.scores.candidate().position(),
                        chosen.scores.candidate().layer(), Map.of("selection", "fallback: ignore KL"));
            }
            CheckpointEditor.Result edit = CheckpointEditor.ablate(new AblationRequest(plan.model(), directionFile.toString(),
                    edited, plan.force(), eo, plan.arch().name(), plan.arch().specFile(), plan.commandLine()), editProgress);
            lap("ablate", t);
            t = System.nanoTime();
            VerifyReport v = verification.verify(edited, plan.model(), eo.threads());
            lap("verify", t);
            RunReport.AblateSummary ablate = new RunReport.AblateSummary(edited.toString(), edit.manifest().edits().size(),
                    edit.plan().untied(), v.ok(), v.checks().size(), v.failures().size(), v.notApplicable().size(),
                    v.failures().stream().map(PaperPipeline::describe).limit(20).toList());

            float[] dir = RuntimeCandidateScorer.toFloat(chosen.raw(x.candidates()));
            int layer = chosen.scores.candidate().layer();
            Intervention ablation = Intervention.ablate(dir);
            Intervention addPlus = Intervention.actAdd(dir, layer, 1.0);
            Intervention addMinus = Intervention.actAdd(dir, layer, -1.0);
            RefusalEvaluator ev = new RefusalEvaluator(s, RefusalJudge.paper(), refusal, plan.maxNewTokens());
            List<RefusalEvaluation> evals = new ArrayList<>();
            t = System.nanoTime();
            RefusalEvaluation baselineHarmless;
            evals.add(ev.evaluate("baseline", "harmful", plan.harmfulTest(), Intervention.none(), progress));
            evals.add(baselineHarmless = ev.evaluate("baseline", "harmless", plan.harmlessTest(), Intervention.none(), progress));
            evals.add(ev.evaluate("ablation", "harmful", plan.harmfulTest(), ablation, progress));
            evals.add(ev.evaluate("ablation", "harmless", plan.harmlessTest(), ablation, progress));
            evals.add(ev.evaluate("actadd -1", "harmful", plan.harmfulTest(), addMinus, progress));
            evals.add(ev.evaluate("actadd +1", "harmless", plan.harmlessTest(), addPlus, progress));
            lap("eval (original model)", t);

            t = System.nanoTime();
            List<ContinuationLoss.Sequence> continuations = ContinuationLoss.sequences(s, plan.harmlessTest(),
                    baselineHarmless.prompts().stream().map(PromptVerdict::completion).toList());
            List<RunReport.CrossEntropy> ce = new ArrayList<>();
            ce.add(crossEntropy("baseline", s, continuations, Intervention.none()));
            ce.add(crossEntropy("ablation", s, continuations, ablation));
            ce.add(crossEntropy("actadd -1", s, continuations, addMinus));

            List<int[]> harmlessIds = s.encode(plan.harmlessTest());
            List<int[]> harmfulIds = s.encode(plan.harmfulTest());
            List<float[]> baseHarmless = s.lastLogits(harmlessIds, Intervention.none());
            List<float[]> hookHarmless = s.lastLogits(harmlessIds, ablation);
            List<float[]> hookHarmful = s.lastLogits(harmfulIds, ablation);
            RunReport.Cosines cos = new RunReport.Cosines(cosines(s, harmfulIds, dir), cosines(s, harmlessIds, dir));
            RunReport.Comparison compare;
            RunReport.Equivalence equivalence;
            try (ModelSession e = ModelSession.open(edited, plan.model(), plan.runtimeOptions(), plan.batch(), plan.arch())) {
                List<float[]> editHarmless = e.lastLogits(harmlessIds, Intervention.none());
                List<float[]> editHarmful = e.lastLogits(harmfulIds, Intervention.none());
                double[] klEdit = kls(baseHarmless, editHarmless);
                compare = new RunReport.Comparison(klEdit, mean(klEdit), mean(kls(baseHarmless, hookHarmless)),
                        maxAbs(editHarmful, hookHarmful), maxAbs(editHarmless, hookHarmless), mean(kls(hookHarmful, editHarmful)));
                double diff = Math.max(compare.maxAbsLogitDiffEditedVsHookHarmful(), compare.maxAbsLogitDiffEditedVsHookHarmless());
                HookEquivalence eq = HookEquivalence.judge(edit.manifest(), diff, Math.max(maxAbs(hookHarmful), maxAbs(hookHarmless)));
                equivalence = new RunReport.Equivalence(eq.applicable(), eq.maxAbsLogitDiff(), eq.tolerance(), eq.ok(), eq.reason());
                ce.add(crossEntropy("weight edit", e, continuations, Intervention.none()));
                lap("compare", t);
                t = System.nanoTime();
                RefusalEvaluator ee = new RefusalEvaluator(e, RefusalJudge.paper(), refusal, plan.maxNewTokens());
                evals.add(ee.evaluate("weight edit", "harmful", plan.harmfulTest(), Intervention.none(), progress));
                evals.add(ee.evaluate("weight edit", "harmless", plan.harmlessTest(), Intervention.none(), progress));
                lap("eval (edited model)", t);
            }
            List<RunReport.Rate> rates = evals.stream().map(r -> new RunReport.Rate(r.condition(), r.promptSet(), r.refusalRate(),
                    r.meanRefusalScore(), r.refused(), r.prompts().size())).toList();
            SelectionReport selection = sel.report();
            RunReport report = new RunReport(plan.model().toString(), String.join(",", s.runtime().config().architectures()), layers,
                    s.runtime().config().hiddenSize(), s.formatter().postInstructionIds(), tokens,
                    new RunReport.PromptCounts(plan.harmfulTrain().size(), plan.harmlessTrain().size(), plan.harmfulVal().size(),
                            plan.harmlessVal().size(), plan.harmfulTest().size(), plan.harmlessTest().size()),
                    new RunReport.ExtractSummary(x.keptHarmful().length, x.keptHarmless().length), selection,
                    chosen.fallback ? "fallback: ignore KL (the lowest bypass score among candidates that fail only the KL filter)"
                            : "paper selection", chosen.rows(selection), ablate, compare, equivalence, cos, rates, ce, evals,
                    plan.maxNewTokens(), seconds);
            ReportFiles.writeJson(plan.out().resolve("report.json"), report);
            ReportFiles.writeText(plan.out().resolve("report.html"), RunHtmlReport.render(report));
            LOG.info("pipeline done: {}", seconds);
            return report;
        }
    }

    /** The candidate the pipeline goes on with: the paper's selection, or the ignore-KL fallback. */
    private record Chosen(CandidateScores scores, boolean fallback) {
        double[] raw(CandidateDirections c) { return c.direction(scores.candidate().position(), scores.candidate().layer()); }

        /** The selection table with the chosen row marked selected (the fallback's row is not the paper's selection). */
        List<SelectionRow> rows(SelectionReport r) {
            if (!fallback) return r.candidates();
            return r.candidates().stream().map(x -> new SelectionRow(x.position(), x.token(), x.layer(), x.norm(), x.bypassScore(),
                    x.induceScore(), x.klScore(), x.filtered(), x.filterReasons(),
                    x.position() == scores.candidate().position() && x.layer() == scores.candidate().layer())).toList();
        }
    }

    private Chosen choose(DirectionSelectionStep.Result sel, CandidateDirections c) {
        CandidateEvaluation e = sel.evaluation();
        if (e.selection().isPresent()) return new Chosen(e.selection().get().selected(), false);
        NoSurvivingCandidateException none = new NoSurvivingCandidateException(e, sel.report().diagnosis());
        if (plan.fallback() != RunPlan.Fallback.IGNORE_KL) throw none;
        // The reference's fallback (reference.json "fallback_ignore_kl"): candidates that fail only the KL filter.
        return e.evaluated().stream().filter(x -> x.reasons().equals(List.of(FilterReason.KL_TOO_HIGH)))
                .map(EvaluatedCandidate::scores)
                .min(Comparator.comparingDouble(CandidateScores::bypassScore))
                .map(b -> {
                    LOG.warn("no candidate survived the filters; continuing with the lowest bypass score that fails only KL: {}", b);
                    return new Chosen(b, true);
                })
                .orElseThrow(() -> none);
    }

    private RunReport.CrossEntropy crossEntropy(String condition, ModelSession s, List<ContinuationLoss.Sequence> seqs, Intervention iv) {
        ContinuationLoss.Result r = ContinuationLoss.of(s.runtime(), seqs, iv);
        return new RunReport.CrossEntropy(condition, r.crossEntropy(), r.perplexity(), r.tokens());
    }

    private static String describe(CheckResult c) { return c.kind() + " " + c.subject() + ": " + c.detail(); }

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

    private static double maxAbs(List<float[]> a) {
        double m = 0;
        for (float[] x : a) for (float v : x) m = Math.max(m, Math.abs(v));
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
}
