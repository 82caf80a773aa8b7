package dev.ortho.core.pipeline;

import dev.ortho.core.eval.SelectionDiagnosis;

import java.util.List;

/**
 * What {@code ortho select} (and the select step of {@code ortho run}) found, written to selection.json
 * whether or not a candidate survived.
 *
 * @param selected       the selected candidate, null when every candidate was filtered out
 * @param directionFile  the written direction file, null when nothing was selected
 * @param diagnosis      in plain words what happened and what to try next (empty lists when one was selected)
 * @param seconds        wall time of the step
 */
public record SelectionReport(SelectionRow selected, String directionFile, Criteria criteria, Validation validation,
                              int[] refusalTokenIds, int survivors, List<SelectionRow> candidates,
                              SelectionDiagnosis diagnosis, double seconds) {

    public SelectionReport {
        refusalTokenIds = refusalTokenIds.clone();
        candidates = List.copyOf(candidates);
    }

    @Override public int[] refusalTokenIds() { return refusalTokenIds.clone(); }

    public boolean anySelected() { return selected != null; }

    /** The filters applied (METHOD.md §2.4). */
    public record Criteria(int maxLayerExclusive, double klThreshold, double induceThreshold) {}

    /** Validation prompts after the baseline filter, and their mean baseline refusal scores. */
    public record Validation(int harmful, int harmless, double harmfulBaselineMean, double harmlessBaselineMean) {}
}
