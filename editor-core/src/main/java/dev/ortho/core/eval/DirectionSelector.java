package dev.ortho.core.eval;

import dev.ortho.core.direction.CandidateDirections;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Selects one candidate direction from caller-supplied scores (METHOD.md §2.4): discard NaN scores, late
 * layers, high KL and negative induce scores, then take the survivor with the minimum bypass score.
 *
 * <p>Ties: the reference code sorts survivors with a stable sort on −bypass, so among equal bypass scores the
 * first in its candidate order wins, and that order is positions −n..−1 outer, layers inner. Candidates are
 * put in that order here before anything else, so the caller's order does not matter.
 */
public final class DirectionSelector {

    private static final Logger LOG = LoggerFactory.getLogger(DirectionSelector.class);

    private final SelectionCriteria criteria;

    public DirectionSelector(SelectionCriteria criteria) {
        this.criteria = criteria;
    }

    /** The filters a candidate fails, in the order of §2.4 (empty if it survives). */
    public List<FilterReason> reasons(CandidateScores s) {
        List<FilterReason> r = new ArrayList<>(2);
        if (s.anyNaN()) {
            // §2.4.1: the reference drops NaN before the other tests; comparisons with NaN would be meaningless.
            r.add(FilterReason.NAN_SCORE);
            if (s.candidate().layer() >= criteria.maxLayerExclusive()) r.add(FilterReason.LATE_LAYER);
            return r;
        }
        if (s.candidate().layer() >= criteria.maxLayerExclusive()) r.add(FilterReason.LATE_LAYER);
        if (s.klScore() > criteria.klThreshold()) r.add(FilterReason.KL_TOO_HIGH);       // == threshold is kept
        if (s.induceScore() < criteria.induceThreshold()) r.add(FilterReason.INDUCE_TOO_LOW); // == threshold is kept
        return r;
    }

    /**
     * Applies the filters to every candidate and ranks the survivors; never throws for want of survivors.
     *
     * @throws IllegalArgumentException if the list is empty or names a candidate twice
     */
    public CandidateEvaluation evaluate(List<CandidateScores> scores) {
        if (scores.isEmpty()) throw new IllegalArgumentException("no candidates to select from");
        Set<Candidate> seen = new HashSet<>();
        for (CandidateScores s : scores)
            if (!seen.add(s.candidate())) throw new IllegalArgumentException("candidate " + s.candidate() + " is scored twice");
        List<CandidateScores> ordered = new ArrayList<>(scores);
        ordered.sort(Comparator.comparing(CandidateScores::candidate));

        List<EvaluatedCandidate> evaluated = new ArrayList<>(ordered.size());
        List<CandidateScores> survivors = new ArrayList<>();
        Map<FilterReason, Integer> counts = new EnumMap<>(FilterReason.class);
        for (CandidateScores s : ordered) {
            List<FilterReason> r = reasons(s);
            evaluated.add(new EvaluatedCandidate(s, r, r.stream().map(this::label).toList()));
            r.forEach(x -> counts.merge(x, 1, Integer::sum));
            if (r.isEmpty()) survivors.add(s);
        }
        LOG.info("{} candidates, {} survive (filtered: {})", ordered.size(), survivors.size(), counts);
        // List.sort is stable: equal bypass scores keep the paper's candidate order. Compared with < and > as
        // Python does, so that −0.0 and 0.0 tie (Double.compare would order them).
        survivors.sort((a, b) -> a.bypassScore() < b.bypassScore() ? -1 : a.bypassScore() > b.bypassScore() ? 1 : 0);
        return new CandidateEvaluation(evaluated, survivors, counts, criteria);
    }

    /**
     * {@link #evaluate} for callers that need a selection.
     *
     * @throws NoSurvivingCandidateException if every candidate is filtered out; it carries the evaluation and
     *                                       a diagnosis in plain words
     */
    public Selection select(List<CandidateScores> scores) {
        CandidateEvaluation e = evaluate(scores);
        return e.selection().orElseThrow(() -> new NoSurvivingCandidateException(e, SelectionDiagnosis.of(e, Double.NaN)));
    }

    /**
     * Scores every candidate in the paper's order (positions −n..−1 outer, layers inner) with {@code scorer}.
     * Candidates at layers the late-layer filter would discard are scored too, as the reference does, so the
     * full table can be reported; pass {@code skipLateLayers} to save their forward passes. Candidates go to
     * {@link CandidateScorer#scoreBatch} in chunks of the scorer's {@link CandidateScorer#batchCapacity}.
     */
    public List<CandidateScores> scoreAll(CandidateDirections candidates, CandidateScorer scorer,
                                          boolean skipLateLayers) {
        List<Candidate> order = new ArrayList<>();
        for (int p = -candidates.positions(); p <= -1; p++) {
            for (int l = 0; l < candidates.layers(); l++) {
                if (skipLateLayers && l >= criteria.maxLayerExclusive()) continue;
                order.add(new Candidate(p, l));
            }
        }
        int chunk = Math.max(1, scorer.batchCapacity());
        List<CandidateScores> out = new ArrayList<>(order.size());
        for (int i = 0; i < order.size(); i += chunk) {
            List<Candidate> part = order.subList(i, Math.min(order.size(), i + chunk));
            List<double[]> dirs = part.stream().map(c -> candidates.direction(c.position(), c.layer())).toList();
            List<CandidateScores> scored = scorer.scoreBatch(part, dirs);
            if (scored.size() != part.size())
                throw new IllegalStateException("scorer returned " + scored.size() + " scores for " + part.size() + " candidates");
            for (int k = 0; k < part.size(); k++) {
                CandidateScores s = scored.get(k);
                if (!s.candidate().equals(part.get(k)))
                    throw new IllegalStateException("scorer returned scores of " + s.candidate() + " for " + part.get(k));
                out.add(s);
            }
        }
        return out;
    }

    private String label(FilterReason r) {
        return switch (r) {
            case KL_TOO_HIGH -> r.label() + plain(criteria.klThreshold());
            case INDUCE_TOO_LOW -> r.label() + plain(criteria.induceThreshold());
            default -> r.label();
        };
    }

    /** 0.1 → "0.1", 0.0 → "0": the shortest decimal of the threshold, as the reference labels print it. */
    private static String plain(double d) {
        return BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
    }
}
