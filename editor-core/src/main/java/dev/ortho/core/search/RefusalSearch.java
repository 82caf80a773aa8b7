package dev.ortho.core.search;

import dev.ortho.core.edit.AblationRequest;
import dev.ortho.core.edit.CheckpointEditor;
import dev.ortho.core.edit.EditOptions;
import dev.ortho.core.edit.ProgressListener;
import dev.ortho.core.eval.FirstTokenKl;
import dev.ortho.core.eval.RefusalJudge;
import dev.ortho.core.direction.CandidateDirections;
import dev.ortho.core.eval.CandidateEvaluation;
import dev.ortho.core.eval.CandidateScores;
import dev.ortho.core.eval.EvaluatedCandidate;
import dev.ortho.core.eval.FilterReason;
import dev.ortho.core.eval.SelectionCriteria;
import dev.ortho.core.pipeline.CandidatesFile;
import dev.ortho.core.pipeline.DirectionSelectionStep;
import dev.ortho.core.pipeline.DirectionExtractor;
import dev.ortho.core.pipeline.Extraction;
import dev.ortho.core.pipeline.FilteredPrompts;
import dev.ortho.core.pipeline.ModelSession;
import dev.ortho.core.pipeline.RefusalEvaluation;
import dev.ortho.core.pipeline.RefusalEvaluator;
import dev.ortho.core.pipeline.RefusalTokenChoice;
import dev.ortho.core.pipeline.ReportFiles;
import dev.ortho.core.pipeline.StepProgress;
import dev.ortho.core.runtime.Intervention;
import dev.ortho.core.verify.Verifier;
import dev.ortho.formats.InvalidInputException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code ortho search}: a multi-objective search (NSGA-II) over edits of the kinds {@code ortho ablate} writes —
 * direction source (position, fractional layer index), number of directions, biprojection, norm preservation,
 * per-component layer kernels — minimizing the refusal score of harmful validation prompts and the damage
 * (first-token plus continuation KL) on harmless ones. Every trial is an intervention of the runtime; no checkpoint
 * is written until the end. The front points under {@code maxKl} with the lowest refusal scores are then judged on
 * their generations (the substring judge), and the best becomes the chosen edit, with the exact {@code ortho ablate}
 * arguments that write it. Only the train and validation splits choose; the test split only measures.
 *
 * <p>Outputs in the directory: candidates.safetensors (unless given), trials.jsonl, search.json (settings),
 * pareto.json / pareto.csv, report.json, report.html, and with {@code write} the edited checkpoint {@code model/}.
 */
public final class RefusalSearch {

    private static final Logger LOG = LoggerFactory.getLogger(RefusalSearch.class);
    /** Objectives of a failed trial: finite, so that crowding distances stay numbers, and dominated by any real one. */
    private static final double FAILED = 1e9;

    private final SearchRequest req;
    private final SearchSettings settings;
    private final StepProgress progress;
    private final ProgressListener editProgress;
    private final Map<String, Double> seconds = new LinkedHashMap<>();

    public RefusalSearch(SearchRequest req, SearchSettings settings, StepProgress progress, ProgressListener editProgress) {
        this.req = req;
        this.settings = settings;
        this.progress = progress;
        this.editProgress = editProgress;
    }

    public SearchReport run() {
        Path out = req.out();
        checkResume(out);
        try (ModelSession s = ModelSession.open(req.model(), req.model(), req.threads(), req.batch(), req.arch())) {
            var cfg = s.runtime().config();
            RefusalTokenChoice tokens = RefusalTokenChoice.resolve(req.refusalTokens(), s, () -> s.encode(req.harmfulTrain()),
                    () -> s.encode(req.harmlessTrain()));
            int[] refusal = tokens.ids();
            long t = System.nanoTime();
            Path candidates = candidates(s, refusal);
            int nEoi = s.postInstructionLength();
            lap("candidates", t);

            // The paper's selection on the same validation prompts: the search starts from it (or from the reference's
            // ignore-KL fallback when nothing survives), and the report compares with it.
            t = System.nanoTime();
            CandidateDirections table = CandidatesFile.read(candidates, cfg.numLayers(), cfg.hiddenSize());
            DirectionSelectionStep.Result selection = DirectionSelectionStep.run(s, table, req.harmfulVal(), req.harmlessVal(), refusal,
                    req.filter(), SelectionCriteria.paper(cfg.numLayers()), false, out, progress);
            lap("paper selection", t);
            t = System.nanoTime();
            FilteredPrompts hv = selection.harmful(), lv = selection.harmless();
            TrialEvaluator evaluator = new TrialEvaluator(s, hv.ids(), lv.ids(), refusal, candidates.toString(), nEoi,
                    settings.continuationTokens());
            TrialObjectives base = evaluator.evaluate(Intervention.none());
            RefusalEvaluator judge = new RefusalEvaluator(s, RefusalJudge.paper(), refusal, settings.maxNewTokens());
            RefusalEvaluation baseHarmful = judge.evaluate("baseline", "harmful validation", hv.instructions(), Intervention.none(), StepProgress.NONE);
            RefusalEvaluation baseHarmless = judge.evaluate("baseline", "harmless validation", lv.instructions(), Intervention.none(), StepProgress.NONE);
            lap("baseline", t);

            t = System.nanoTime();
            SearchSpace space = new SearchSpace(cfg.numLayers(), nEoi, Math.min(settings.maxDirections(), nEoi), settings.biproject(),
                    settings.normPreserving());
            List<Trial> trials = new ArrayList<>();
            List<SearchReport.Generation> path = new ArrayList<>();
            Optional<CandidateScores> paper = paperCandidate(selection.evaluation());
            List<double[]> start = paper.map(c -> List.of(space.encodePaper(c.candidate().position(), c.candidate().layer())))
                    .orElse(List.of());
            optimize(space, evaluator, start, trials, path);
            lap("search", t);

            t = System.nanoTime();
            List<Trial> front = ParetoFront.of(trials);
            List<SearchReport.FrontPoint> points = judgeFront(front, evaluator, judge, hv, lv, candidates, nEoi);
            // The starting point competes even when the front dominates it: the front is drawn on the refusal score,
            // and an edit with a better score can still refuse more in its generations than the paper's edit does.
            Optional<SearchReport.FrontPoint> startPoint = trials.isEmpty() || paper.isEmpty() ? Optional.empty()
                    : points.stream().filter(p -> p.trial() == 0).findFirst()
                    .or(() -> judgeStart(trials.getFirst(), evaluator, judge, hv, lv, candidates, nEoi));
            List<SearchReport.FrontPoint> choices = new ArrayList<>(points);
            startPoint.filter(p -> !points.contains(p)).ifPresent(choices::add);
            SearchReport.FrontPoint chosen = choose(choices, 1.0 / Math.min(hv.ids().size(), lv.ids().size()), startPoint.orElse(null));
            lap("judge front", t);
            String command = chosen == null ? null : command(chosen);

            SearchReport.Heldout heldout = null;
            if (req.write()) {
                if (chosen == null) {
                    throw new InvalidInputException("no edit on the Pareto front keeps the first-token KL under --max-kl "
                            + settings.maxKl() + "; nothing to write (see " + out.resolve("pareto.csv") + "; raise --max-kl or --trials)");
                }
                t = System.nanoTime();
                heldout = writeAndMeasure(s, chosen, candidates, nEoi, refusal);
                lap("write and measure held out", t);
            }
            FragilityReport fragility = null;
            if (!Double.isNaN(req.fragilityThreshold())) {
                t = System.nanoTime();
                fragility = FragilityAnalysis.analyze(s, req.model(), req.arch(), trials, evaluator, req.fragilityThreshold(), settings.maxKl(),
                        settings.checkPoints(), settings.maxNewTokens(), refusal, req.harmfulTest(), req.harmlessTest(),
                        candidates.toString(), nEoi, progress);
                lap("fragility", t);
            }
            int failed = (int) trials.stream().filter(x -> !x.ok()).count();
            SearchReport.PaperStart paperStart = paper.isEmpty() ? null : new SearchReport.PaperStart(
                    selection.evaluation().selection().isPresent() ? "paper selection" : "fallback: ignore KL",
                    paper.get().candidate().position(), paper.get().candidate().layer(), trials.getFirst().objectives(),
                    startPoint.filter(SearchReport.FrontPoint::checked).map(SearchReport.FrontPoint::harmfulRefusalRate).orElse(Double.NaN),
                    startPoint.filter(SearchReport.FrontPoint::checked).map(SearchReport.FrontPoint::harmlessRefusalRate).orElse(Double.NaN));
            SearchReport report = new SearchReport(req.model().toString(), candidates.toString(), settings, tokens.describe(),
                    new SearchReport.Baseline(base.refusalScore(), baseHarmful.refusalRate(), baseHarmless.refusalRate(),
                            hv.ids().size(), lv.ids().size()),
                    paperStart, trials.size(), failed, points, chosen, command, path, heldout, fragility, seconds);
            ReportFiles.writeJson(out.resolve("pareto.json"), points);
            ReportFiles.writeText(out.resolve("pareto.csv"), csv(points));
            ReportFiles.writeJson(out.resolve("report.json"), report);
            ReportFiles.writeText(out.resolve("report.html"), SearchHtmlReport.render(report, trials));
            return report;
        }
    }

    private void checkResume(Path out) {
        Path settingsFile = out.resolve("search.json");
        if (req.resume()) {
            if (!Files.isRegularFile(settingsFile))
                throw new InvalidInputException(settingsFile, null, "--resume needs the search.json of an earlier search in " + out);
            SearchSettings before = readSettings(settingsFile);
            if (!settings.resumable(before))
                throw new InvalidInputException(settingsFile, null, "the earlier search used other settings " + before
                        + "; --resume continues only the same search (seed, population, space, continuation tokens)");
        } else if (Files.exists(out.resolve("trials.jsonl")) && !req.force()) {
            throw new InvalidInputException(out, null, "holds the trial log of an earlier search: --resume to continue it, --force to start over");
        }
        ReportFiles.writeJson(settingsFile, settings);
    }

    private static SearchSettings readSettings(Path file) {
        try {
            return TrialLog.MAPPER.readValue(file.toFile(), SearchSettings.class);
        } catch (java.io.IOException e) {
            throw new InvalidInputException(file, null, "is not a search.json: " + e.getMessage());
        }
    }

    /** The candidates file: given, reused on resume, or extracted from the training prompts (with harmless means). */
    private Path candidates(ModelSession s, int[] refusal) {
        if (req.candidates() != null) return req.candidates();
        Path file = req.out().resolve("candidates.safetensors");
        if (req.resume() && Files.isRegularFile(file)) return file;
        Extraction x = new DirectionExtractor(s, refusal, req.filter()).extract(s.encode(req.harmfulTrain()),
                s.encode(req.harmlessTrain()), progress);
        CandidatesFile.write(file, x.candidates(), x.harmlessMeans(), new LinkedHashMap<>());
        return file;
    }

    /** The paper's selected candidate, or the reference's fallback (the lowest bypass among those failing only KL). */
    static Optional<CandidateScores> paperCandidate(CandidateEvaluation e) {
        if (e.selection().isPresent()) return Optional.of(e.selection().get().selected());
        return e.evaluated().stream().filter(x -> x.reasons().equals(List.of(FilterReason.KL_TOO_HIGH)))
                .map(EvaluatedCandidate::scores).min(Comparator.comparingDouble(CandidateScores::bypassScore));
    }

    private void optimize(SearchSpace space, TrialEvaluator evaluator, List<double[]> start, List<Trial> trials,
                          List<SearchReport.Generation> path) {
        Path logFile = req.out().resolve("trials.jsonl");
        List<Trial> earlier = req.resume() ? TrialLog.read(logFile) : List.of();
        progress.begin("search", settings.trials());
        try (TrialLog log = TrialLog.open(logFile, !req.resume())) {
            Nsga2.run(SearchSpace.VARIABLES, 2, settings.population(), settings.trials(), settings.seed(), start, x -> {
                int n = trials.size();
                Trial t;
                if (n < earlier.size()) {
                    t = earlier.get(n);
                    if (!java.util.Arrays.equals(t.variables(), x))
                        throw new InvalidInputException(logFile, null, "trial " + n + " of the log is not the point this search asks for:"
                                + " the log was written by another search");
                } else {
                    t = evaluate(n, x, space, evaluator);
                    log.append(t);
                }
                trials.add(t);
                progress.advance(1);
                return t.ok() ? new double[]{t.objectives().refusalScore(), t.objectives().damage()} : new double[]{FAILED, FAILED};
            }, evaluations -> path.add(generation(trials)));
        } finally {
            progress.end();
        }
    }

    private Trial evaluate(int n, double[] x, SearchSpace space, TrialEvaluator evaluator) {
        SearchPoint p = space.decode(x);
        long t0 = System.nanoTime();
        try {
            TrialObjectives o = evaluator.evaluate(p);
            return new Trial(n, x, p, o, null, (System.nanoTime() - t0) / 1e9);
        } catch (RuntimeException e) {
            // A trial that cannot be evaluated (e.g. directions that are not independent) is logged and skipped.
            LOG.debug("trial {} failed: {}", n, e.toString());
            return new Trial(n, x, p, null, e.getMessage() == null ? e.toString() : e.getMessage(), (System.nanoTime() - t0) / 1e9);
        }
    }

    private SearchReport.Generation generation(List<Trial> trials) {
        double best = trials.stream().filter(Trial::ok).filter(t -> t.objectives().firstTokenKl() <= settings.maxKl())
                .mapToDouble(t -> t.objectives().refusalScore()).min().orElse(Double.NaN);
        return new SearchReport.Generation(trials.size(), best, ParetoFront.of(trials).size());
    }

    /** The starting point (trial 0) judged on its own, when the front left it out; empty when it failed or is above maxKl. */
    private Optional<SearchReport.FrontPoint> judgeStart(Trial t, TrialEvaluator evaluator, RefusalEvaluator judge,
                                                         FilteredPrompts hv, FilteredPrompts lv, Path candidates, int nEoi) {
        if (t.number() != 0 || !t.ok() || t.objectives().firstTokenKl() > settings.maxKl()) return Optional.empty();
        Intervention iv = evaluator.intervention(t.point());
        double h = judge.evaluate("trial 0", "harmful validation", hv.instructions(), iv, progress).refusalRate();
        double l = judge.evaluate("trial 0", "harmless validation", lv.instructions(), iv, progress).refusalRate();
        return Optional.of(new SearchReport.FrontPoint(0, t.point(), t.objectives(), t.point().ablateArguments(candidates.toString(), nEoi),
                true, h, l));
    }

    /** Judges the generations of the best few front points under maxKl; the rest of the front is reported unjudged. */
    private List<SearchReport.FrontPoint> judgeFront(List<Trial> front, TrialEvaluator evaluator, RefusalEvaluator judge,
                                                    FilteredPrompts hv, FilteredPrompts lv, Path candidates, int nEoi) {
        List<Trial> toCheck = new ArrayList<>(front.stream().filter(t -> t.objectives().firstTokenKl() <= settings.maxKl())
                .sorted(Comparator.comparingDouble(t -> t.objectives().refusalScore())).limit(settings.checkPoints()).toList());
        // The starting point (the paper's edit, trial 0) is always judged when it is on the front: an edit that
        // refuses no less and damages more must not be preferred to it.
        front.stream().filter(t -> t.number() == 0 && t.objectives().firstTokenKl() <= settings.maxKl() && !toCheck.contains(t))
                .findFirst().ifPresent(toCheck::add);
        progress.begin("judge front", toCheck.size() * (hv.ids().size() + lv.ids().size()));
        List<SearchReport.FrontPoint> out = new ArrayList<>();
        for (Trial t : front) {
            List<String> args = t.point().ablateArguments(candidates.toString(), nEoi);
            if (!toCheck.contains(t)) {
                out.add(new SearchReport.FrontPoint(t.number(), t.point(), t.objectives(), args, false, Double.NaN, Double.NaN));
                continue;
            }
            Intervention iv = evaluator.intervention(t.point());
            double h = judge.evaluate("trial " + t.number(), "harmful validation", hv.instructions(), iv, progress).refusalRate();
            double l = judge.evaluate("trial " + t.number(), "harmless validation", lv.instructions(), iv, progress).refusalRate();
            out.add(new SearchReport.FrontPoint(t.number(), t.point(), t.objectives(), args, true, h, l));
        }
        progress.end();
        return out;
    }

    /**
     * The judged point that refuses least in its generations (harmful plus harmless: over-refusal counts against an
     * edit), and among those within one prompt of that least refusal, the lowest first-token KL: on a few dozen
     * validation prompts a difference of one refusal is noise, while KL is measured on every prompt.
     *
     * From a judged starting point (the paper's edit), the search moves only to an edit that refuses no more than it
     * in its generations: the one-prompt allowance weighs edits against each other, it does not let the search return
     * an edit that refuses more than the one it started from (on the Qwen2 organism, an edit refusing 1 of 32
     * validation prompts at a third of the paper's KL refused 4 of 100 held-out prompts, where the paper's edit
     * refuses none).
     *
     * @param onePrompt the refusal rate of one prompt, 1 / (prompts of the smaller validation set)
     * @param start     the starting point as judged, or null (no paper start, or its KL above --max-kl)
     */
    static SearchReport.FrontPoint choose(List<SearchReport.FrontPoint> points, double onePrompt, SearchReport.FrontPoint start) {
        double ceiling = start != null && start.checked() ? start.harmfulRefusalRate() + start.harmlessRefusalRate() : Double.POSITIVE_INFINITY;
        List<SearchReport.FrontPoint> judged = points.stream().filter(SearchReport.FrontPoint::checked)
                .filter(p -> p.harmfulRefusalRate() + p.harmlessRefusalRate() <= ceiling + 1e-12).toList();
        double least = judged.stream().mapToDouble(p -> p.harmfulRefusalRate() + p.harmlessRefusalRate()).min().orElse(Double.NaN);
        return judged.stream().filter(p -> p.harmfulRefusalRate() + p.harmlessRefusalRate() <= least + onePrompt + 1e-12)
                .min(Comparator.comparingDouble((SearchReport.FrontPoint p) -> p.objectives().firstTokenKl())
                        .thenComparingDouble(p -> p.harmfulRefusalRate() + p.harmlessRefusalRate())
                        .thenComparingInt(SearchReport.FrontPoint::trial))
                .orElse(null);
    }

    private String command(SearchReport.FrontPoint p) {
        StringBuilder b = new StringBuilder("ortho ablate ").append(quote(req.model().toString()));
        for (String a : p.ablateArguments()) b.append(' ').append(quote(a));
        return b.append(" --out EDITED").toString();
    }

    private static String quote(String s) {
        return s.matches("[A-Za-z0-9_@%+=:,./-]+") ? s : "'" + s.replace("'", "'\\''") + "'";
    }

    private SearchReport.Heldout writeAndMeasure(ModelSession s, SearchReport.FrontPoint chosen, Path candidates, int nEoi, int[] refusal) {
        Path edited = req.out().resolve("model");
        int threads = Math.max(1, req.threads() == 0 ? Runtime.getRuntime().availableProcessors() : req.threads());
        EditOptions eo = chosen.point().editOptions(EditOptions.defaults().withThreads(threads));
        CheckpointEditor.ablate(new AblationRequest(req.model(), chosen.point().request(candidates.toString(), nEoi), edited, req.force(),
                eo, req.arch().name(), req.arch().specFile(), req.commandLine(), Optional.empty()), editProgress);
        boolean verified = Verifier.verify(edited, Optional.of(req.model()), threads).ok();
        RefusalEvaluator base = new RefusalEvaluator(s, RefusalJudge.paper(), refusal, settings.maxNewTokens());
        double bh = base.evaluate("baseline", "harmful test", req.harmfulTest(), Intervention.none(), progress).refusalRate();
        double bl = base.evaluate("baseline", "harmless test", req.harmlessTest(), Intervention.none(), progress).refusalRate();
        List<int[]> harmlessIds = s.encode(req.harmlessTest());
        List<float[]> before = s.lastLogits(harmlessIds, Intervention.none());
        try (ModelSession e = ModelSession.open(edited, req.model(), req.threads(), req.batch(), req.arch())) {
            RefusalEvaluator ev = new RefusalEvaluator(e, RefusalJudge.paper(), refusal, settings.maxNewTokens());
            double eh = ev.evaluate("search edit", "harmful test", req.harmfulTest(), Intervention.none(), progress).refusalRate();
            double el = ev.evaluate("search edit", "harmless test", req.harmlessTest(), Intervention.none(), progress).refusalRate();
            List<float[]> after = e.lastLogits(harmlessIds, Intervention.none());
            double kl = 0;
            for (int i = 0; i < before.size(); i++) kl += FirstTokenKl.of(before.get(i), after.get(i));
            return new SearchReport.Heldout(edited.toString(), verified, req.harmfulTest().size(), req.harmlessTest().size(), bh, bl, eh, el,
                    kl / before.size());
        }
    }

    static String csv(List<SearchReport.FrontPoint> points) {
        StringBuilder b = new StringBuilder("trial,refusal_score,first_token_kl,continuation_kl,damage,checked,harmful_refusal_rate,"
                + "harmless_refusal_rate,position,direction_index,directions,biproject,norm_preserving,embed,attn_peak,attn_max,attn_min,"
                + "attn_distance,mlp_peak,mlp_max,mlp_min,mlp_distance\n");
        for (SearchReport.FrontPoint p : points) {
            TrialObjectives o = p.objectives();
            SearchPoint x = p.point();
            b.append(String.format(java.util.Locale.ROOT, "%d,%.9g,%.9g,%.9g,%.9g,%s,%s,%s,%d,%.17g,%d,%s,%s,%s,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g%n",
                    p.trial(), o.refusalScore(), o.firstTokenKl(), o.continuationKl(), o.damage(), p.checked(),
                    p.checked() ? Double.toString(p.harmfulRefusalRate()) : "", p.checked() ? Double.toString(p.harmlessRefusalRate()) : "",
                    x.position(), x.directionIndex(), x.directions(), x.biproject(), x.normPreserving(), x.embed(),
                    x.attn().peak(), x.attn().max(), x.attn().min(), x.attn().distance(),
                    x.mlp().peak(), x.mlp().max(), x.mlp().min(), x.mlp().distance()));
        }
        return b.toString();
    }

    private void lap(String step, long startNanos) {
        seconds.put(step, (System.nanoTime() - startNanos) / 1e9);
    }
}
