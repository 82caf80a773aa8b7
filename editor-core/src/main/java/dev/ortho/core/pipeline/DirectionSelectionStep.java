package dev.ortho.core.pipeline;

import dev.ortho.core.direction.CandidateDirections;
import dev.ortho.core.direction.CandidateDirectionsFile;
import dev.ortho.core.eval.CandidateEvaluation;
import dev.ortho.core.eval.CandidateScores;
import dev.ortho.core.eval.DirectionSelector;
import dev.ortho.core.eval.SelectionCriteria;
import dev.ortho.core.eval.SelectionDiagnosis;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The select step (METHOD.md §2): filter the validation prompts on their baseline refusal score, score every
 * candidate on them, apply the filters and pick the lowest bypass score. selection.json and selection.csv are
 * always written, with every candidate and the filters that removed it; direction.safetensors only when a
 * candidate was selected. When none survives, the report's diagnosis says why and what to try.
 */
public final class DirectionSelectionStep {

    /** What the step computed: the typed report and the validation prompts it scored on. */
    public record Result(SelectionReport report, CandidateEvaluation evaluation, FilteredPrompts harmful,
                         FilteredPrompts harmless) {}

    private DirectionSelectionStep() {}

    public static Result run(ModelSession s, CandidateDirections c, List<String> harmfulVal, List<String> harmlessVal, int[] refusal,
                             boolean filter, SelectionCriteria criteria, boolean skipLate, Path out, StepProgress progress) {
        long t0 = System.nanoTime();
        FilteredPrompts h = FilteredPrompts.of(s, harmfulVal, true, refusal, filter, "harmful validation");
        FilteredPrompts l = FilteredPrompts.of(s, harmlessVal, false, refusal, filter, "harmless validation");
        DirectionSelector selector = new DirectionSelector(criteria);
        int count = c.positions() * (skipLate ? Math.min(c.layers(), criteria.maxLayerExclusive()) : c.layers());
        progress.begin("score candidates", count);
        RuntimeCandidateScorer scorer = new RuntimeCandidateScorer(s, h.ids(), l.ids(), refusal, progress);
        List<CandidateScores> scores = selector.scoreAll(c, scorer, skipLate);
        progress.end();
        CandidateEvaluation evaluation = selector.evaluate(scores);
        double harmfulMean = mean(h.baselineScores(), h.kept()), harmlessMean = mean(l.baselineScores(), l.kept());
        SelectionDiagnosis diagnosis = SelectionDiagnosis.of(evaluation, harmfulMean);
        List<SelectionRow> rows = SelectionTable.rows(evaluation, c, s.formatter().postInstructionIds(), s.tokenizer());
        ReportFiles.writeText(out.resolve("selection.csv"), SelectionTable.csv(rows)); // also creates OUT
        Path file = null;
        if (evaluation.selection().isPresent()) {
            CandidateScores best = evaluation.selection().get().selected();
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("bypass_score", Double.toString(best.bypassScore()));
            meta.put("induce_score", Double.toString(best.induceScore()));
            meta.put("kl_score", Double.toString(best.klScore()));
            file = out.resolve("direction.safetensors");
            CandidateDirectionsFile.write(file, c, best.candidate().position(), best.candidate().layer(), meta);
        }
        SelectionReport report = new SelectionReport(rows.stream().filter(SelectionRow::selected).findFirst().orElse(null),
                file == null ? null : file.toString(),
                new SelectionReport.Criteria(criteria.maxLayerExclusive(), criteria.klThreshold(), criteria.induceThreshold()),
                new SelectionReport.Validation(h.ids().size(), l.ids().size(), harmfulMean, harmlessMean),
                refusal, evaluation.survivors().size(), rows, diagnosis, (System.nanoTime() - t0) / 1e9);
        ReportFiles.writeJson(out.resolve("selection.json"), report);
        return new Result(report, evaluation, h, l);
    }

    static double mean(double[] scores, int[] kept) {
        double sum = 0;
        for (int i : kept) sum += scores[i];
        return sum / kept.length;
    }
}
