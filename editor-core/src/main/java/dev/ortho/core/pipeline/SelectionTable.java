package dev.ortho.core.pipeline;

import dev.ortho.core.eval.EvaluatedCandidate;
import dev.ortho.core.eval.Selection;
import dev.ortho.core.direction.CandidateDirections;
import dev.ortho.core.text.TextTokenizer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Every candidate's scores and verdict as rows for JSON and CSV (the paper's direction_evaluations.json). */
public final class SelectionTable {

    private SelectionTable() {}

    public static List<Map<String, Object>> rows(Selection sel, CandidateDirections c, int[] eoiIds, TextTokenizer tok) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (EvaluatedCandidate e : sel.evaluated()) {
            int p = e.candidate().position(), l = e.candidate().layer();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("position", p);
            m.put("token", tok.decode(new int[]{eoiIds[eoiIds.length + p]}, false));
            m.put("layer", l);
            m.put("norm", c.norm(p, l));
            m.put("bypass_score", e.scores().bypassScore());
            m.put("induce_score", e.scores().induceScore());
            m.put("kl_score", e.scores().klScore());
            m.put("filtered", !e.survived());
            m.put("filter_reasons", e.reasonLabels());
            m.put("selected", e.candidate().equals(sel.selected().candidate()));
            rows.add(m);
        }
        return rows;
    }

    public static String csv(List<Map<String, Object>> rows) {
        StringBuilder b = new StringBuilder("position,layer,norm,bypass_score,induce_score,kl_score,filtered,filter_reasons,selected\n");
        for (Map<String, Object> r : rows) {
            b.append(String.format(Locale.ROOT, "%d,%d,%.17g,%.17g,%.17g,%.17g,%s,%s,%s%n", r.get("position"), r.get("layer"),
                    (Double) r.get("norm"), (Double) r.get("bypass_score"), (Double) r.get("induce_score"), (Double) r.get("kl_score"),
                    r.get("filtered"), String.join(";", castList(r.get("filter_reasons"))), r.get("selected")));
        }
        return b.toString();
    }

    @SuppressWarnings("unchecked")
    private static List<String> castList(Object o) { return (List<String>) o; }
}
