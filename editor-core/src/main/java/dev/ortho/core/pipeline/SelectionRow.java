package dev.ortho.core.pipeline;

import java.util.List;

/**
 * One candidate of the selection table (the paper's direction_evaluations.json row), as selection.json,
 * selection.csv, report.json and report.html show it.
 *
 * @param token the post-instruction token at {@code position}, decoded
 */
public record SelectionRow(int position, String token, int layer, double norm, double bypassScore, double induceScore,
                           double klScore, boolean filtered, List<String> filterReasons, boolean selected) {

    public SelectionRow {
        filterReasons = List.copyOf(filterReasons);
    }
}
