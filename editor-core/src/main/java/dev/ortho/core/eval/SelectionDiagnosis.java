package dev.ortho.core.eval;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Why selection found nothing, in plain words, and what to try next. Derived only from the candidates' scores
 * and the filters, so the same table always gives the same explanation.
 *
 * <p>A candidate "bypasses" refusal when its bypass score (mean refusal score of harmful prompts with the
 * direction ablated) is below 0: the log-odds then favour a non-refusal first token. The usual failures are
 * (a) no direction bypasses at all, (b) the ones that do damage harmless behaviour (KL filter) or do not
 * induce refusal when added (induce filter), (c) a baseline that does not refuse, where the template or the
 * refusal tokens are at fault rather than the model.
 *
 * @param summary     one line, e.g. for an exception message
 * @param explanation sentences for a person
 * @param suggestions concrete options or commands to try, most promising first
 */
public record SelectionDiagnosis(String summary, List<String> explanation, List<String> suggestions) {

    public SelectionDiagnosis {
        explanation = List.copyOf(explanation);
        suggestions = List.copyOf(suggestions);
    }

    /**
     * @param harmfulBaselineMean mean baseline refusal score of the harmful validation prompts, NaN if unknown
     */
    public static SelectionDiagnosis of(CandidateEvaluation e, double harmfulBaselineMean) {
        SelectionCriteria c = e.criteria();
        int total = e.evaluated().size();
        String summary = e.survivors().isEmpty()
                ? "all " + total + " candidate directions were filtered out " + e.filterCounts()
                : e.survivors().size() + " of " + total + " candidate directions survive the filters";
        List<String> why = new ArrayList<>();
        List<String> next = new ArrayList<>();
        if (!e.survivors().isEmpty()) return new SelectionDiagnosis(summary, why, next);

        if (!Double.isNaN(harmfulBaselineMean) && harmfulBaselineMean <= 0) {
            why.add(String.format(Locale.ROOT, "The model does not refuse the harmful validation prompts to begin with (mean "
                    + "refusal score %.3f <= 0), so no direction can be scored meaningfully.", harmfulBaselineMean));
            next.add("check the chat template and the refusal tokens (--refusal-tokens, or --refusal-tokens auto)");
            return new SelectionDiagnosis(summary + "; the baseline does not refuse: check the chat template and the refusal tokens",
                    why, next);
        }
        List<EvaluatedCandidate> early = e.evaluated().stream()
                .filter(x -> !x.reasons().contains(FilterReason.LATE_LAYER) && !x.reasons().contains(FilterReason.NAN_SCORE)).toList();
        List<EvaluatedCandidate> bypassing = early.stream().filter(x -> x.scores().bypassScore() < 0).toList();
        List<EvaluatedCandidate> lateBypassing = e.evaluated().stream()
                .filter(x -> x.reasons().contains(FilterReason.LATE_LAYER) && !x.scores().anyNaN() && x.scores().bypassScore() < 0)
                .toList();
        if (!Double.isNaN(harmfulBaselineMean)) {
            why.add(String.format(Locale.ROOT, "The baseline refuses: mean refusal score of the harmful validation prompts %.3f.",
                    harmfulBaselineMean));
        }
        if (bypassing.isEmpty()) {
            EvaluatedCandidate best = early.stream().min((a, b) -> Double.compare(a.scores().bypassScore(), b.scores().bypassScore()))
                    .orElse(null);
            why.add("No candidate before layer " + c.maxLayerExclusive() + " brings the mean refusal score of harmful prompts below 0"
                    + (best == null ? "" : String.format(Locale.ROOT, " (the lowest, position %d layer %d, leaves it at %.3f)",
                    best.candidate().position(), best.candidate().layer(), best.scores().bypassScore()))
                    + ": ablating one difference-in-means direction does not bypass refusal here.");
            if (!lateBypassing.isEmpty()) {
                why.add("Only late layers (" + layers(lateBypassing) + ", removed by the late-layer filter) bypass it.");
                next.add("--prune-layers 0 to consider late layers (the paper excludes them: close to the unembedding, they tend to "
                        + "act on the output tokens rather than on the decision)");
            }
            next.add("ortho search: several directions, per-layer directions, biprojection and layer kernels, scored on refusal and KL");
            return new SelectionDiagnosis(summary + "; no candidate lowers the harmful refusal score below 0: refusal is not carried "
                    + "by one direction here (try ortho search)", why, next);
        }
        // Some candidates bypass: say which filters removed them.
        Map<FilterReason, List<EvaluatedCandidate>> byReason = new TreeMap<>();
        for (EvaluatedCandidate x : bypassing) for (FilterReason r : x.reasons()) byReason.computeIfAbsent(r, k -> new ArrayList<>()).add(x);
        String list = bypassing.stream().map(x -> "position " + x.candidate().position() + " layer " + x.candidate().layer())
                .collect(Collectors.joining(", "));
        double bestBypass = bypassing.stream().mapToDouble(x -> x.scores().bypassScore()).min().orElseThrow();
        why.add(String.format(Locale.ROOT, "%d candidate%s bypass refusal (%s; best bypass score %.3f), and every one is removed by a filter:",
                bypassing.size(), bypassing.size() == 1 ? "" : "s", list, bestBypass));
        List<EvaluatedCandidate> kl = byReason.getOrDefault(FilterReason.KL_TOO_HIGH, List.of());
        List<EvaluatedCandidate> induce = byReason.getOrDefault(FilterReason.INDUCE_TOO_LOW, List.of());
        if (!kl.isEmpty()) {
            double lo = kl.stream().mapToDouble(x -> x.scores().klScore()).min().orElseThrow();
            double hi = kl.stream().mapToDouble(x -> x.scores().klScore()).max().orElseThrow();
            why.add(String.format(Locale.ROOT, "%d raise the first-token KL on harmless prompts above %s (%.3f to %.3f): removing the "
                    + "direction that carries refusal also changes harmless answers, so refusal is not carried by one direction "
                    + "here without damage.", kl.size(), plain(c.klThreshold()), lo, hi));
            next.add("--max-kl " + roundUp(lo) + " to accept that damage (the least damaging bypassing candidate has KL "
                    + String.format(Locale.ROOT, "%.3f", lo) + ")");
        }
        if (!induce.isEmpty()) {
            double best = induce.stream().mapToDouble(x -> x.scores().induceScore()).max().orElseThrow();
            why.add(String.format(Locale.ROOT, "%d do not induce refusal when added to harmless prompts (induce score below %s; "
                    + "highest %.3f).", induce.size(), plain(c.induceThreshold()), best));
            next.add("--min-induce " + roundDown(best) + " to keep directions that bypass refusal without inducing it");
        }
        next.add("ortho search (or ortho run --fallback search): edits beyond one direction, scored on refusal and KL");
        return new SelectionDiagnosis(summary + "; " + bypassing.size() + " candidate(s) bypass refusal but "
                + (kl.isEmpty() ? "fail the induce filter" : "raise KL above " + plain(c.klThreshold()))
                + ": refusal is not carried by one direction here; see the suggestions (--max-kl, --min-induce, ortho search)", why, next);
    }

    private static String layers(List<EvaluatedCandidate> xs) {
        return xs.stream().map(x -> Integer.toString(x.candidate().layer())).distinct().collect(Collectors.joining(", "));
    }

    private static String plain(double d) { return BigDecimal.valueOf(d).stripTrailingZeros().toPlainString(); }

    private static String roundUp(double d) { return BigDecimal.valueOf(d).setScale(2, RoundingMode.CEILING).stripTrailingZeros().toPlainString(); }

    private static String roundDown(double d) { return BigDecimal.valueOf(d).setScale(2, RoundingMode.FLOOR).stripTrailingZeros().toPlainString(); }
}
