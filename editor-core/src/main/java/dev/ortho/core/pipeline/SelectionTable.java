package dev.ortho.core.pipeline;

import dev.ortho.core.direction.CandidateDirections;
import dev.ortho.core.eval.CandidateEvaluation;
import dev.ortho.core.eval.EvaluatedCandidate;
import dev.ortho.core.text.TextTokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Every candidate's scores and verdict as rows for JSON and CSV (the paper's direction_evaluations.json). */
public final class SelectionTable {

    private SelectionTable() {}

    public static List<SelectionRow> rows(CandidateEvaluation evaluation, CandidateDirections c, int[] eoiIds, TextTokenizer tok) {
        var selected = evaluation.selection().map(s -> s.selected().candidate()).orElse(null);
        List<SelectionRow> rows = new ArrayList<>();
        for (EvaluatedCandidate e : evaluation.evaluated()) {
            int p = e.candidate().position(), l = e.candidate().layer();
            rows.add(new SelectionRow(p, tok.decode(new int[]{eoiIds[eoiIds.length + p]}, false), l, c.norm(p, l),
                    e.scores().bypassScore(), e.scores().induceScore(), e.scores().klScore(), !e.survived(), e.reasonLabels(),
                    e.candidate().equals(selected)));
        }
        return rows;
    }

    public static String csv(List<SelectionRow> rows) {
        StringBuilder b = new StringBuilder("position,layer,norm,bypass_score,induce_score,kl_score,filtered,filter_reasons,selected\n");
        for (SelectionRow r : rows) {
            b.append(String.format(Locale.ROOT, "%d,%d,%.17g,%.17g,%.17g,%.17g,%s,%s,%s%n", r.position(), r.layer(), r.norm(),
                    r.bypassScore(), r.induceScore(), r.klScore(), r.filtered(), String.join(";", r.filterReasons()), r.selected()));
        }
        return b.toString();
    }
}
