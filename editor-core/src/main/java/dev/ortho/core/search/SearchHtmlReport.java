package dev.ortho.core.search;

import dev.ortho.core.pipeline.RunHtmlReport;
import dev.ortho.core.report.Svg;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** report.html of {@code ortho search}: the Pareto front plotted among every trial, the chosen edit, the path. */
public final class SearchHtmlReport {

    private SearchHtmlReport() {}

    public static String render(SearchReport r, List<Trial> trials) {
        StringBuilder b = new StringBuilder("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Ortho search</title><style>")
                .append(RunHtmlReport.CSS).append("</style></head><body>");
        SearchSettings s = r.settings();
        b.append("<h1>Ortho search: ").append(Svg.esc(r.model())).append("</h1>");
        b.append(f("<p>%d trials (%d failed), NSGA-II population %d, seed %d. Objectives on the validation split: the refusal score of"
                        + " %d harmful prompts (lower: less refusal) and the damage on %d harmless prompts (first-token KL + KL over a"
                        + " %d-token continuation). Refusal tokens: %s. Generations judged with %d new tokens.</p>", r.trials(),
                r.failedTrials(), s.population(), s.seed(), r.baseline().harmfulPrompts(), r.baseline().harmlessPrompts(),
                s.continuationTokens(), Svg.esc(r.refusalTokens()), s.maxNewTokens()));
        b.append(f("<p>Original model: refusal score %.3f; refuses %.0f %% of the harmful and %.0f %% of the harmless validation"
                + " prompts.</p>", r.baseline().refusalScore(), 100 * r.baseline().harmfulRefusalRate(), 100 * r.baseline().harmlessRefusalRate()));

        if (r.paper() != null && r.paper().objectives() != null) {
            b.append(f("<p>Started from the %s (position %d, layer %d; trial 0): refusal score %.3f, first-token KL %.4f%s.</p>",
                    Svg.esc(r.paper().how()), r.paper().position(), r.paper().layer(), r.paper().objectives().refusalScore(),
                    r.paper().objectives().firstTokenKl(), Double.isNaN(r.paper().harmfulRefusalRate()) ? ""
                            : f("; refuses %.0f %% harmful / %.0f %% harmless (validation generations)",
                            100 * r.paper().harmfulRefusalRate(), 100 * r.paper().harmlessRefusalRate())));
        }
        b.append("<h2>Chosen edit</h2>");
        if (r.chosen() == null) {
            b.append(f("<p class='ref'>No front point keeps the first-token KL under %s. Raise --max-kl or --trials.</p>", s.maxKl()));
        } else {
            SearchReport.FrontPoint c = r.chosen();
            b.append(f("<p>Trial %d: %s. Refusal score %.3f, first-token KL %.4f, continuation KL %.4f; refuses %.0f %% of harmful and"
                            + " %.0f %% of harmless validation prompts.</p>", c.trial(), Svg.esc(c.point().describe()), c.objectives().refusalScore(),
                    c.objectives().firstTokenKl(), c.objectives().continuationKl(), 100 * c.harmfulRefusalRate(), 100 * c.harmlessRefusalRate()));
            b.append("<p class='c'>").append(Svg.esc(r.command())).append("</p>");
        }
        if (r.heldout() != null) {
            SearchReport.Heldout h = r.heldout();
            b.append("<h2>Held out (test split)</h2><table><tr><th>model</th><th>harmful refused</th><th>harmless refused</th>"
                    + "<th>first-token KL</th></tr>");
            b.append(f("<tr><td class='l'>original</td><td>%.1f %%</td><td>%.1f %%</td><td>0</td></tr>", 100 * h.baselineHarmfulRefusalRate(),
                    100 * h.baselineHarmlessRefusalRate()));
            b.append(f("<tr><td class='l'>edited (%s)</td><td>%.1f %%</td><td>%.1f %%</td><td>%.4f</td></tr></table>",
                    h.verifyOk() ? "verified" : "VERIFY FAILED", 100 * h.editedHarmfulRefusalRate(), 100 * h.editedHarmlessRefusalRate(),
                    h.firstTokenKl()));
        }

        b.append("<h2>Pareto front</h2><div class='charts'>");
        List<Svg.Points> kl = new ArrayList<>(), damage = new ArrayList<>();
        List<Trial> ok = trials.stream().filter(Trial::ok).toList();
        kl.add(points("trials", ok, false, "#bbbbbb", 2.5));
        damage.add(points("trials", ok, true, "#bbbbbb", 2.5));
        List<Trial> front = r.front().stream().map(p -> find(trials, p.trial())).toList();
        kl.add(points("front", front, false, "#1f77b4", 3.5));
        damage.add(points("front", front, true, "#1f77b4", 3.5));
        if (r.chosen() != null) {
            List<Trial> chosen = List.of(find(trials, r.chosen().trial()));
            kl.add(points("chosen", chosen, false, "#d62728", 5));
            damage.add(points("chosen", chosen, true, "#d62728", 5));
        }
        b.append(Svg.scatter("refusal score vs first-token KL", "first-token KL (log scale)", "refusal score", kl, true, s.maxKl()));
        b.append(Svg.scatter("refusal score vs damage", "first-token + continuation KL (log scale)", "refusal score", damage, true, null));
        double[] best = r.path().stream().mapToDouble(SearchReport.Generation::bestRefusalScoreUnderMaxKl).toArray();
        b.append(Svg.lines("best refusal score under max KL, per generation", "generation", List.of(new Svg.Series("best", best)), null));
        b.append("</div>");

        b.append("<table><tr><th>trial</th><th>edit</th><th>refusal score</th><th>first-token KL</th><th>continuation KL</th>"
                + "<th>harmful refused</th><th>harmless refused</th></tr>");
        for (SearchReport.FrontPoint p : r.front()) {
            String cls = r.chosen() != null && p.trial() == r.chosen().trial() ? " class='sel'" : "";
            b.append(f("<tr%s><td>%d</td><td class='l'>%s</td><td>%.3f</td><td>%.4f</td><td>%.4f</td><td>%s</td><td>%s</td></tr>", cls,
                    p.trial(), Svg.esc(p.point().describe()), p.objectives().refusalScore(), p.objectives().firstTokenKl(),
                    p.objectives().continuationKl(), rate(p.checked(), p.harmfulRefusalRate()), rate(p.checked(), p.harmlessRefusalRate())));
        }
        b.append("</table><h2>Wall time</h2><table>");
        for (var e : r.seconds().entrySet()) b.append(f("<tr><td class='l'>%s</td><td>%.1f s</td></tr>", Svg.esc(e.getKey()), e.getValue()));
        return b.append("</table></body></html>\n").toString();
    }

    private static Trial find(List<Trial> trials, int number) { return trials.get(number); }

    private static Svg.Points points(String name, List<Trial> ts, boolean damage, String color, double radius) {
        double[] x = new double[ts.size()], y = new double[ts.size()];
        for (int i = 0; i < ts.size(); i++) {
            TrialObjectives o = ts.get(i).objectives();
            x[i] = damage ? o.damage() : o.firstTokenKl();
            y[i] = o.refusalScore();
        }
        return new Svg.Points(name, x, y, color, radius);
    }

    private static String rate(boolean checked, double r) { return checked ? f("%.0f %%", 100 * r) : "–"; }

    private static String f(String fmt, Object... args) { return String.format(Locale.ROOT, fmt, args); }
}
