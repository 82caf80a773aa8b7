package dev.ortho.core.eval;

import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every candidate with its filter verdicts, whether or not any survived (METHOD.md §2.4). Selection is the
 * special case with a survivor; when none survives this is still the table a user needs to see.
 *
 * @param evaluated    every candidate in the paper's order with the filters it failed
 * @param survivors    survivors sorted by bypass score, ascending (stable: the paper's order breaks ties)
 * @param filterCounts how many candidates each filter removed (a candidate may fail several)
 * @param criteria     the thresholds that were applied
 */
public record CandidateEvaluation(List<EvaluatedCandidate> evaluated, List<CandidateScores> survivors,
                                  Map<FilterReason, Integer> filterCounts, SelectionCriteria criteria) {

    public CandidateEvaluation {
        evaluated = List.copyOf(evaluated);
        survivors = List.copyOf(survivors);
        Map<FilterReason, Integer> counts = new EnumMap<>(FilterReason.class);
        counts.putAll(filterCounts);
        filterCounts = Collections.unmodifiableMap(counts);
    }

    /** The paper's selection: the surviving candidate with the lowest bypass score, if any survived. */
    public Optional<Selection> selection() {
        return survivors.isEmpty() ? Optional.empty()
                : Optional.of(new Selection(survivors.getFirst(), survivors, evaluated));
    }
}
