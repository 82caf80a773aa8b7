package dev.ortho.core.search;

import dev.ortho.core.pipeline.RunHtmlReport;
import dev.ortho.core.report.Svg;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** fragility.html: one checkpoint's fragility, or two side by side (e.g. a model and a hardened version of it). */
public final class FragilityHtmlReport {

    private static final String[] COLORS = {"#d62728", "#1f77b4"};

    private FragilityHtmlReport() {}

    public static String render(List<FragilityReport> reports) {
        StringBuilder b = new StringBuilder("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Ortho fragility</title><style>")
                .append(RunHtmlReport.CSS).append("</style></head><body><h1>Refusal fragility</h1>");
        FragilityReport first = reports.getFirst();
        b.append(f("<p>The smallest edit (fewest writer tensors, then least Σ‖ΔW‖/‖W‖, then lowest rank) that brings the held-out"
                + " harmful refusal rate under %.0f %% with first-token KL ≤ %s on the validation prompts, found by ortho search.</p>",
                100 * first.threshold(), first.maxKl()));
        b.append("<table><tr><th>checkpoint</th><th>verdict</th><th>tensors</th><th>Σ‖ΔW‖/‖W‖</th><th>rank</th>"
                + "<th>harmful refused</th><th>harmless refused</th><th>KL</th></tr>");
        for (FragilityReport r : reports) {
            FragilityReport.Judged s = r.smallest();
            b.append(f("<tr><td class='l'>%s</td><td class='l'>%s</td>", Svg.esc(r.model()), Svg.esc(r.verdict())));
            if (s == null) b.append("<td>–</td><td>–</td><td>–</td><td>–</td><td>–</td><td>–</td></tr>");
            else b.append(f("<td>%d of %d</td><td>%.3f</td><td>%d</td><td>%.0f %%</td><td>%.0f %%</td><td>%.4f</td></tr>", s.size().tensors(),
                    r.writers(), s.size().relativeChange(), s.size().rank(), 100 * s.heldoutHarmfulRefusalRate(),
                    100 * s.heldoutHarmlessRefusalRate(), s.heldoutFirstTokenKl()));
        }
        b.append("</table><h2>Refusal against edit budget</h2><div class='charts'>");
        List<Svg.Points> byTensors = new ArrayList<>(), byChange = new ArrayList<>();
        for (int i = 0; i < reports.size(); i++) {
            FragilityReport r = reports.get(i);
            double[] t = r.curve().stream().mapToDouble(FragilityReport.Budget::tensors).toArray();
            double[] c = r.curve().stream().mapToDouble(x -> x.size().relativeChange()).toArray();
            double[] y = r.curve().stream().mapToDouble(FragilityReport.Budget::refusalScore).toArray();
            String name = reports.size() == 1 ? "best edit within budget" : shortName(r.model());
            byTensors.add(new Svg.Points(name, t, y, COLORS[i % 2], 4));
            byChange.add(new Svg.Points(name, c, y, COLORS[i % 2], 4));
        }
        b.append(Svg.scatter("refusal score vs writer tensors edited", "writer tensors edited", "best refusal score (validation)",
                byTensors, false, null));
        b.append(Svg.scatter("refusal score vs Σ‖ΔW‖/‖W‖", "Σ‖ΔW‖/‖W‖ (log scale)", "best refusal score (validation)", byChange, true, null));
        b.append("</div>");
        for (FragilityReport r : reports) {
            b.append("<h2>").append(Svg.esc(r.model())).append("</h2><table><tr><th>budget (tensors)</th><th>trial</th><th>refusal score</th>"
                    + "<th>first-token KL</th><th>Σ‖ΔW‖/‖W‖</th><th>rank</th></tr>");
            for (FragilityReport.Budget x : r.curve())
                b.append(f("<tr><td>%d</td><td>%d</td><td>%.3f</td><td>%.4f</td><td>%.3f</td><td>%d</td></tr>", x.tensors(), x.trial(),
                        x.refusalScore(), x.firstTokenKl(), x.size().relativeChange(), x.size().rank()));
            b.append("</table><table><tr><th>judged trial</th><th>edit</th><th>tensors</th><th>harmful refused</th><th>harmless refused</th>"
                    + "<th>KL</th></tr>");
            for (FragilityReport.Judged j : r.judged())
                b.append(f("<tr%s><td>%d</td><td class='l'>%s</td><td>%d</td><td>%.0f %%</td><td>%.0f %%</td><td>%.4f</td></tr>",
                        j == r.smallest() ? " class='sel'" : "", j.trial(), Svg.esc(j.point().describe()), j.size().tensors(),
                        100 * j.heldoutHarmfulRefusalRate(), 100 * j.heldoutHarmlessRefusalRate(), j.heldoutFirstTokenKl()));
            b.append("</table>");
        }
        return b.append("</body></html>\n").toString();
    }

    private static String shortName(String path) {
        String p = path.replace('\\', '/');
        while (p.endsWith("/")) p = p.substring(0, p.length() - 1);
        return p.substring(p.lastIndexOf('/') + 1);
    }

    private static String f(String fmt, Object... args) { return String.format(Locale.ROOT, fmt, args); }
}
