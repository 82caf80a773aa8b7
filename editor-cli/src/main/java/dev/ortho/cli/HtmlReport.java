package dev.ortho.cli;

import dev.ortho.core.pipeline.PromptVerdict;
import dev.ortho.core.pipeline.RefusalEvaluation;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** The self-contained report.html of {@code ortho run}: inline CSS and SVG, no scripts, fonts or external files. */
final class HtmlReport {

    private static final int SAMPLES = 5;
    private static final String CSS = """
            body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#222;max-width:1000px}
            h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
            table{border-collapse:collapse;font-size:12px;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}
            th{background:#f3f3f3}td.l{text-align:left}tr.sel{background:#fff3b0}tr.out{color:#999}
            .charts{display:flex;flex-wrap:wrap;gap:12px}.ref{color:#b00}.ok{color:#080}
            .c{font-family:ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap;text-align:left;max-width:560px}
            """;

    private HtmlReport() {}

    @SuppressWarnings("unchecked")
    static String render(Map<String, Object> r, List<RefusalEvaluation> evals) {
        StringBuilder b = new StringBuilder("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Ortho report</title><style>")
                .append(CSS).append("</style></head><body>");
        Map<String, Object> selection = (Map<String, Object>) r.get("selection");
        Map<String, Object> sel = (Map<String, Object>) selection.get("selected");
        Map<String, Object> criteria = (Map<String, Object>) selection.get("criteria");
        b.append("<h1>Ortho: refusal direction of ").append(Svg.esc(String.valueOf(r.get("model")))).append("</h1>");
        b.append(f("<p>%s, %s layers, hidden size %s. Method: Arditi et al. (2024), difference in means at the post-instruction"
                        + " positions, selection by bypass score, weight orthogonalization.</p>",
                Svg.esc(String.valueOf(r.get("architecture"))), r.get("num_layers"), r.get("hidden_size")));

        b.append("<h2>Selected direction</h2><table><tr><th>position</th><th>token</th><th>layer</th><th>‖r‖</th><th>bypass</th>"
                + "<th>induce</th><th>KL</th><th>survivors</th></tr>");
        b.append(f("<tr><td>%s</td><td class='l'>%s</td><td>%s</td><td>%.3f</td><td>%.4f</td><td>%.4f</td><td>%.5f</td><td>%s of %d</td></tr></table>",
                sel.get("position"), Svg.esc(visible((String) sel.get("token"))), sel.get("layer"), (Double) sel.get("norm"),
                (Double) sel.get("bypass_score"), (Double) sel.get("induce_score"), (Double) sel.get("kl_score"),
                selection.get("survivors"), ((List<?>) r.get("candidates")).size()));
        b.append(f("<p>Filters: layer &lt; %s (⌊0.8 L⌋), KL ≤ %s, induce ≥ %s; the lowest bypass score wins. Validation prompts"
                        + " after the baseline filter: %s harmful, %s harmless.</p>", criteria.get("max_layer_exclusive"),
                criteria.get("kl_threshold"), criteria.get("induce_threshold"),
                ((Map<?, ?>) selection.get("validation")).get("harmful"), ((Map<?, ?>) selection.get("validation")).get("harmless")));

        b.append("<h2>Refusal before and after</h2><table><tr><th>condition</th><th>prompts</th><th>refused</th><th>refusal rate</th>"
                + "<th>mean refusal score</th></tr>");
        List<String> labels = new ArrayList<>();
        List<String> colors = new ArrayList<>();
        double[] rates = new double[evals.size()];
        for (int i = 0; i < evals.size(); i++) {
            RefusalEvaluation e = evals.get(i);
            b.append(f("<tr><td class='l'>%s / %s</td><td>%d</td><td>%d</td><td>%.1f %%</td><td>%.3f</td></tr>", Svg.esc(e.condition()),
                    e.promptSet(), e.prompts().size(), e.refused(), 100 * e.refusalRate(), e.meanRefusalScore()));
            labels.add(e.condition() + " / " + e.promptSet());
            colors.add(e.promptSet().equals("harmful") ? "#d62728" : "#1f77b4");
            rates[i] = e.refusalRate();
        }
        b.append("</table><div class='charts'>").append(Svg.rateBars("Refusal rate (substring judge)", labels, rates, colors)).append("</div>");

        b.append("<h2>Selection scores per layer and position</h2><div class='charts'>");
        List<Map<String, Object>> cands = (List<Map<String, Object>>) r.get("candidates");
        b.append(Svg.lines("bypass score (harmful val, ablation)", "layer", series(cands, "bypass_score"), null));
        b.append(Svg.lines("induce score (harmless val, +r)", "layer", series(cands, "induce_score"), (Double) criteria.get("induce_threshold")));
        b.append(Svg.lines("KL (harmless val, ablation)", "layer", series(cands, "kl_score"), (Double) criteria.get("kl_threshold")));
        b.append("</div>");

        Map<String, Object> compare = (Map<String, Object>) r.get("compare");
        Map<String, Object> cos = (Map<String, Object>) r.get("cosine_with_direction");
        b.append("<h2>Side effects and equivalence</h2><div class='charts'>");
        b.append(Svg.histogram("First-token KL, edited vs original (harmless test)", "KL per prompt",
                (double[]) compare.get("kl_edited_vs_original_harmless"), 20));
        b.append(Svg.lines("cos(last-token residual, r̂) by layer", "layer input (last = final residual)",
                List.of(new Svg.Series("harmful", (double[]) cos.get("harmful")), new Svg.Series("harmless", (double[]) cos.get("harmless"))), null));
        b.append("</div><table>");
        for (var e : compare.entrySet())
            if (e.getValue() instanceof Double d) b.append(f("<tr><td class='l'>%s</td><td>%.6g</td></tr>", e.getKey().replace('_', ' '), d));
        Map<String, Object> ablate = (Map<String, Object>) r.get("ablate");
        b.append(f("<tr><td class='l'>edited tensors</td><td>%s</td></tr><tr><td class='l'>verify</td><td class='%s'>%s</td></tr></table>",
                ablate.get("edited_tensors"), Boolean.TRUE.equals(ablate.get("verify_ok")) ? "ok" : "ref",
                Boolean.TRUE.equals(ablate.get("verify_ok")) ? "passed" : "FAILED"));

        b.append("<h2>All candidates</h2><table><tr><th>pos</th><th>token</th><th>layer</th><th>‖r‖</th><th>bypass</th><th>induce</th>"
                + "<th>KL</th><th>filtered because</th></tr>");
        for (Map<String, Object> c : cands) {
            String cls = Boolean.TRUE.equals(c.get("selected")) ? " class='sel'" : Boolean.TRUE.equals(c.get("filtered")) ? " class='out'" : "";
            b.append(f("<tr%s><td>%s</td><td class='l'>%s</td><td>%s</td><td>%.3f</td><td>%.4f</td><td>%.4f</td><td>%.5f</td><td class='l'>%s</td></tr>",
                    cls, c.get("position"), Svg.esc(visible((String) c.get("token"))), c.get("layer"), (Double) c.get("norm"),
                    (Double) c.get("bypass_score"), (Double) c.get("induce_score"), (Double) c.get("kl_score"),
                    Svg.esc(String.join(", ", (List<String>) c.get("filter_reasons")))));
        }
        b.append("</table>");

        b.append("<h2>Sample completions</h2>");
        for (RefusalEvaluation e : evals) {
            b.append(f("<h3>%s / %s</h3><table><tr><th>instruction</th><th>completion</th><th>refused</th></tr>", Svg.esc(e.condition()), e.promptSet()));
            for (PromptVerdict v : e.prompts().subList(0, Math.min(SAMPLES, e.prompts().size())))
                b.append(f("<tr><td class='c'>%s</td><td class='c'>%s</td><td>%s</td></tr>", Svg.esc(v.instruction()), Svg.esc(v.completion()),
                        v.refused() ? "yes" : "no"));
            b.append("</table>");
        }

        b.append("<h2>Wall time</h2><table>");
        for (var e : ((Map<String, Double>) r.get("seconds")).entrySet())
            b.append(f("<tr><td class='l'>%s</td><td>%.1f s</td></tr>", e.getKey(), e.getValue()));
        return b.append("</table></body></html>\n").toString();
    }

    private static List<Svg.Series> series(List<Map<String, Object>> cands, String key) {
        Map<Integer, List<Double>> byPos = new TreeMap<>();
        Map<Integer, String> tokens = new TreeMap<>();
        for (Map<String, Object> c : cands) {
            int p = (Integer) c.get("position");
            byPos.computeIfAbsent(p, k -> new ArrayList<>()).add((Double) c.get(key));
            tokens.put(p, (String) c.get("token"));
        }
        List<Svg.Series> out = new ArrayList<>();
        for (var e : byPos.entrySet())
            out.add(new Svg.Series(e.getKey() + " " + visible(tokens.get(e.getKey())), e.getValue().stream().mapToDouble(Double::doubleValue).toArray()));
        return out;
    }

    private static String visible(String token) {
        return token.replace("\n", "\\n").replace("\t", "\\t");
    }

    private static String f(String fmt, Object... args) { return String.format(Locale.ROOT, fmt, args); }
}
