package dev.ortho.core.pipeline;

import dev.ortho.core.report.Svg;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** The self-contained report.html of {@code ortho run}, rendered from the typed report: inline CSS and SVG, no scripts. */
public final class RunHtmlReport {

    private static final int SAMPLES = 5;
    public static final String CSS = """
            body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#222;max-width:1000px}
            h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
            table{border-collapse:collapse;font-size:12px;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}
            th{background:#f3f3f3}td.l{text-align:left}tr.sel{background:#fff3b0}tr.out{color:#999}
            .charts{display:flex;flex-wrap:wrap;gap:12px}.ref{color:#b00}.ok{color:#080}
            .c{font-family:ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap;text-align:left;max-width:560px}
            """;

    private RunHtmlReport() {}

    public static String render(RunReport r) {
        StringBuilder b = new StringBuilder("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Ortho report</title><style>")
                .append(CSS).append("</style></head><body>");
        SelectionReport selection = r.selection();
        SelectionRow sel = r.candidates().stream().filter(SelectionRow::selected).findFirst().orElseThrow();
        SelectionReport.Criteria criteria = selection.criteria();
        b.append("<h1>Ortho: refusal direction of ").append(Svg.esc(r.model())).append("</h1>");
        b.append(f("<p>%s, %d layers, hidden size %d. Method: Arditi et al. (2024), difference in means at the post-instruction"
                + " positions, selection by bypass score, weight orthogonalization. Refusal tokens: %s. Completions: greedy, %d new"
                + " tokens.</p>", Svg.esc(r.architecture()), r.numLayers(), r.hiddenSize(), Svg.esc(r.refusalTokens().describe()),
                r.maxNewTokens()));

        b.append("<h2>Selected direction</h2><table><tr><th>position</th><th>token</th><th>layer</th><th>‖r‖</th><th>bypass</th>"
                + "<th>induce</th><th>KL</th><th>survivors</th></tr>");
        b.append(f("<tr><td>%d</td><td class='l'>%s</td><td>%d</td><td>%.3f</td><td>%.4f</td><td>%.4f</td><td>%.5f</td><td>%d of %d</td></tr></table>",
                sel.position(), Svg.esc(visible(sel.token())), sel.layer(), sel.norm(), sel.bypassScore(), sel.induceScore(), sel.klScore(),
                selection.survivors(), r.candidates().size()));
        b.append(f("<p>How it was chosen: %s. Filters: layer &lt; %d, KL ≤ %s, induce ≥ %s; the lowest bypass score wins. Validation"
                        + " prompts after the baseline filter: %d harmful, %d harmless.</p>", Svg.esc(r.method()), criteria.maxLayerExclusive(),
                criteria.klThreshold(), criteria.induceThreshold(), selection.validation().harmful(), selection.validation().harmless()));
        if (!selection.diagnosis().explanation().isEmpty()) {
            b.append("<p>").append(Svg.esc(String.join(" ", selection.diagnosis().explanation()))).append("</p>");
        }

        b.append("<h2>Checks</h2><table>");
        b.append(f("<tr><td class='l'>verify (every tensor against an independent recomputation)</td><td class='%s'>%s</td></tr>",
                r.ablate().verifyOk() ? "ok" : "ref", r.ablate().verifyOk() ? "passed" : "FAILED (" + r.ablate().verifyFailures() + ")"));
        RunReport.Equivalence eq = r.equivalence();
        b.append(f("<tr><td class='l'>weight edit = hook ablation</td><td class='%s'>%s</td></tr></table>", eq.ok() ? "ok" : "ref",
                Svg.esc(eq.applicable() ? f("%s: max |Δlogit| %.3g (bound %.3g)", eq.ok() ? "yes" : "NO", eq.maxAbsLogitDiff(), eq.tolerance())
                        : "not applicable: " + eq.reason())));

        b.append("<h2>Refusal before and after</h2><table><tr><th>condition</th><th>prompts</th><th>refused</th><th>refusal rate</th>"
                + "<th>mean refusal score</th></tr>");
        List<String> labels = new ArrayList<>();
        List<String> colors = new ArrayList<>();
        double[] rates = new double[r.evaluations().size()];
        for (int i = 0; i < r.evaluations().size(); i++) {
            RefusalEvaluation e = r.evaluations().get(i);
            b.append(f("<tr><td class='l'>%s / %s</td><td>%d</td><td>%d</td><td>%.1f %%</td><td>%.3f</td></tr>", Svg.esc(e.condition()),
                    e.promptSet(), e.prompts().size(), e.refused(), 100 * e.refusalRate(), e.meanRefusalScore()));
            labels.add(e.condition() + " / " + e.promptSet());
            colors.add(e.promptSet().equals("harmful") ? "#d62728" : "#1f77b4");
            rates[i] = e.refusalRate();
        }
        b.append("</table><div class='charts'>").append(Svg.rateBars("Refusal rate (substring judge)", labels, rates, colors)).append("</div>");

        b.append("<h2>Cross-entropy on harmless continuations</h2><p>The baseline's own greedy completions of the harmless test"
                + " prompts, teacher-forced under each condition (METHOD.md §5.4, on-distribution).</p><table><tr><th>condition</th>"
                + "<th>CE (nats/token)</th><th>perplexity</th><th>tokens</th></tr>");
        for (RunReport.CrossEntropy c : r.crossEntropy())
            b.append(f("<tr><td class='l'>%s</td><td>%.4f</td><td>%.3f</td><td>%d</td></tr>", Svg.esc(c.condition()), c.crossEntropy(),
                    c.perplexity(), c.tokens()));
        b.append("</table>");

        b.append("<h2>Selection scores per layer and position</h2><div class='charts'>");
        b.append(Svg.lines("bypass score (harmful val, ablation)", "layer", series(r.candidates(), SelectionRow::bypassScore), null));
        b.append(Svg.lines("induce score (harmless val, +r)", "layer", series(r.candidates(), SelectionRow::induceScore), criteria.induceThreshold()));
        b.append(Svg.lines("KL (harmless val, ablation)", "layer", series(r.candidates(), SelectionRow::klScore), criteria.klThreshold()));
        b.append("</div>");

        RunReport.Comparison compare = r.compare();
        b.append("<h2>Side effects and equivalence</h2><div class='charts'>");
        b.append(Svg.histogram("First-token KL, edited vs original (harmless test)", "KL per prompt", compare.klEditedVsOriginalHarmless(), 20));
        b.append(Svg.lines("cos(last-token residual, r̂) by layer", "layer input (last = final residual)",
                List.of(new Svg.Series("harmful", r.cosineWithDirection().harmful()),
                        new Svg.Series("harmless", r.cosineWithDirection().harmless())), null));
        b.append("</div><table>");
        row(b, "KL edited vs original, harmless (mean)", compare.klEditedVsOriginalHarmlessMean());
        row(b, "KL hook ablation vs original, harmless (mean)", compare.klHookVsOriginalHarmlessMean());
        row(b, "max |logit edited − hook|, harmful", compare.maxAbsLogitDiffEditedVsHookHarmful());
        row(b, "max |logit edited − hook|, harmless", compare.maxAbsLogitDiffEditedVsHookHarmless());
        row(b, "KL hook vs edited, harmful (mean)", compare.klEditedVsHookHarmfulMean());
        b.append(f("<tr><td class='l'>edited tensors</td><td>%d</td></tr></table>", r.ablate().editedTensors()));

        b.append("<h2>All candidates</h2>").append(candidateTable(r.candidates()));

        b.append("<h2>Sample completions</h2>");
        for (RefusalEvaluation e : r.evaluations()) {
            b.append(f("<h3>%s / %s</h3><table><tr><th>instruction</th><th>completion</th><th>refused</th></tr>", Svg.esc(e.condition()), e.promptSet()));
            for (PromptVerdict v : e.prompts().subList(0, Math.min(SAMPLES, e.prompts().size())))
                b.append(f("<tr><td class='c'>%s</td><td class='c'>%s</td><td>%s</td></tr>", Svg.esc(v.instruction()), Svg.esc(v.completion()),
                        v.refused() ? "yes" : "no"));
            b.append("</table>");
        }

        b.append("<h2>Wall time</h2><table>");
        for (var e : r.seconds().entrySet())
            b.append(f("<tr><td class='l'>%s</td><td>%.1f s</td></tr>", Svg.esc(e.getKey()), e.getValue()));
        return b.append("</table></body></html>\n").toString();
    }

    /** Every candidate, the selected row highlighted and the filtered ones greyed. */
    static String candidateTable(List<SelectionRow> rows) {
        StringBuilder b = new StringBuilder("<table><tr><th>pos</th><th>token</th><th>layer</th><th>‖r‖</th><th>bypass</th><th>induce</th>"
                + "<th>KL</th><th>filtered because</th></tr>");
        for (SelectionRow c : rows) {
            String cls = c.selected() ? " class='sel'" : c.filtered() ? " class='out'" : "";
            b.append(f("<tr%s><td>%d</td><td class='l'>%s</td><td>%d</td><td>%.3f</td><td>%.4f</td><td>%.4f</td><td>%.5f</td><td class='l'>%s</td></tr>",
                    cls, c.position(), Svg.esc(visible(c.token())), c.layer(), c.norm(), c.bypassScore(), c.induceScore(), c.klScore(),
                    Svg.esc(String.join(", ", c.filterReasons()))));
        }
        return b.append("</table>").toString();
    }

    private static void row(StringBuilder b, String label, double v) {
        b.append(f("<tr><td class='l'>%s</td><td>%.6g</td></tr>", Svg.esc(label), v));
    }

    private static List<Svg.Series> series(List<SelectionRow> cands, java.util.function.ToDoubleFunction<SelectionRow> key) {
        Map<Integer, List<Double>> byPos = new TreeMap<>();
        Map<Integer, String> tokens = new TreeMap<>();
        for (SelectionRow c : cands) {
            byPos.computeIfAbsent(c.position(), k -> new ArrayList<>()).add(key.applyAsDouble(c));
            tokens.put(c.position(), c.token());
        }
        List<Svg.Series> out = new ArrayList<>();
        for (var e : byPos.entrySet())
            out.add(new Svg.Series(e.getKey() + " " + visible(tokens.get(e.getKey())), e.getValue().stream().mapToDouble(Double::doubleValue).toArray()));
        return out;
    }

    static String visible(String token) {
        return token.replace("\n", "\\n").replace("\t", "\\t");
    }

    private static String f(String fmt, Object... args) { return String.format(Locale.ROOT, fmt, args); }
}
