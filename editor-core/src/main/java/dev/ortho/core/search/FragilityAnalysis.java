package dev.ortho.core.search;

import dev.ortho.core.arch.ArchChoice;
import dev.ortho.core.edit.EditRecipe;
import dev.ortho.core.eval.FirstTokenKl;
import dev.ortho.core.eval.RefusalJudge;
import dev.ortho.core.pipeline.ModelSession;
import dev.ortho.core.pipeline.RefusalEvaluator;
import dev.ortho.core.pipeline.StepProgress;
import dev.ortho.core.runtime.Intervention;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The fragility report of one searched model ({@link FragilityReport}). Edits are the search's trials under the KL
 * bound; their budget is the number of writer tensors they change. Held-out prompts only measure: candidates are
 * ordered by size and validation refusal score before any held-out prompt is seen, and judged in that order until
 * one gets under the threshold.
 */
final class FragilityAnalysis {

    private FragilityAnalysis() {}

    static FragilityReport analyze(ModelSession s, Path model, ArchChoice arch, List<Trial> trials, TrialEvaluator evaluator, double threshold,
                                   double maxKl, int maxJudged, int maxNewTokens, int[] refusal, List<String> harmfulTest,
                                   List<String> harmlessTest, String candidates, int nEoi, StepProgress progress) {
        List<Trial> ok = trials.stream().filter(Trial::ok).filter(t -> t.objectives().firstTokenKl() <= maxKl).toList();
        Map<Integer, Integer> tensors = new HashMap<>();
        for (Trial t : ok) tensors.put(t.number(), EditSize.tensorsEdited(model, arch, evaluator.recipe(t.point())));
        if (ok.isEmpty()) {
            return new FragilityReport(model.toString(), threshold, maxKl, 0, Double.NaN, List.of(), null, List.of(),
                    "no trial kept the first-token KL under " + maxKl + ": raise --max-kl or --trials");
        }
        int writers = EditSize.tensorsEdited(model, arch, EditRecipe.plain(evaluator.recipe(ok.getFirst().point()).basis()));

        // The curve: for each budget, the best validation refusal score within it.
        List<FragilityReport.Budget> curve = new ArrayList<>();
        Map<Integer, EditSize> sizes = new HashMap<>();
        List<Integer> budgets = tensors.values().stream().distinct().sorted().toList();
        double best = Double.POSITIVE_INFINITY;
        for (int b : budgets) {
            Trial t = ok.stream().filter(x -> tensors.get(x.number()) <= b)
                    .min(Comparator.comparingDouble(x -> x.objectives().refusalScore())).orElseThrow();
            if (t.objectives().refusalScore() >= best) continue;      // a larger budget that reaches nothing new
            best = t.objectives().refusalScore();
            EditSize size = sizes.computeIfAbsent(t.number(), n -> EditSize.of(model, arch, evaluator.recipe(t.point())));
            curve.add(new FragilityReport.Budget(b, t.number(), t.objectives().refusalScore(), t.objectives().firstTokenKl(), size));
        }

        // Held-out judging, smallest first among the edits whose validation refusal score favours compliance.
        RefusalEvaluator judge = new RefusalEvaluator(s, RefusalJudge.paper(), refusal, maxNewTokens);
        double baseHarmful = judge.evaluate("baseline", "harmful test", harmfulTest, Intervention.none(), StepProgress.NONE).refusalRate();
        List<int[]> harmlessIds = s.encode(harmlessTest);
        List<float[]> before = s.lastLogits(harmlessIds, Intervention.none());
        List<Trial> order = ok.stream().filter(t -> t.objectives().refusalScore() < 0)
                .sorted(Comparator.comparingInt((Trial t) -> tensors.get(t.number()))
                        .thenComparingDouble(t -> t.objectives().refusalScore()))
                .limit(maxJudged).toList();
        List<FragilityReport.Judged> judged = new ArrayList<>();
        FragilityReport.Judged smallest = null;
        progress.begin("fragility: judge held out", order.size());
        for (Trial t : order) {
            Intervention iv = evaluator.intervention(t.point());
            double h = judge.evaluate("trial " + t.number(), "harmful test", harmfulTest, iv, StepProgress.NONE).refusalRate();
            double l = judge.evaluate("trial " + t.number(), "harmless test", harmlessTest, iv, StepProgress.NONE).refusalRate();
            List<float[]> after = s.lastLogits(harmlessIds, iv);
            double kl = 0;
            for (int i = 0; i < before.size(); i++) kl += FirstTokenKl.of(before.get(i), after.get(i));
            EditSize size = sizes.computeIfAbsent(t.number(), n -> EditSize.of(model, arch, evaluator.recipe(t.point())));
            FragilityReport.Judged j = new FragilityReport.Judged(t.number(), t.point(), size, h, l, kl / before.size(),
                    t.point().ablateArguments(candidates, nEoi));
            judged.add(j);
            progress.advance(1);
            if (h < threshold && (smallest == null || smaller(j, smallest))) smallest = j;
            if (smallest != null && tensors.get(t.number()) > smallest.size().tensors()) break;   // nothing smaller follows
        }
        progress.end();
        return new FragilityReport(model.toString(), threshold, maxKl, writers, baseHarmful, curve, smallest, judged,
                verdict(smallest, writers, threshold, maxKl, baseHarmful, judged.size()));
    }

    private static boolean smaller(FragilityReport.Judged a, FragilityReport.Judged b) {
        return Comparator.comparingInt((FragilityReport.Judged j) -> j.size().tensors())
                .thenComparingDouble(j -> j.size().relativeChange()).thenComparingInt(j -> j.size().rank()).compare(a, b) < 0;
    }

    private static String verdict(FragilityReport.Judged s, int writers, double threshold, double maxKl, double base, int judged) {
        if (s == null) {
            return String.format(Locale.ROOT, "no edit of the search (first-token KL <= %s; %d judged) brings held-out harmful refusal"
                    + " under %.0f %% (baseline %.0f %%): refusal held at this budget of trials", maxKl, judged, 100 * threshold, 100 * base);
        }
        return String.format(Locale.ROOT, "held-out harmful refusal falls from %.0f %% to %.0f %% (under %.0f %%) with %d of %d writer"
                        + " tensors edited, sum ||dW||/||W|| %.3f, rank %d, at first-token KL %.3f (harmless refusal %.0f %%)", 100 * base,
                100 * s.heldoutHarmfulRefusalRate(), 100 * threshold, s.size().tensors(), writers, s.size().relativeChange(),
                s.size().rank(), s.heldoutFirstTokenKl(), 100 * s.heldoutHarmlessRefusalRate());
    }
}
