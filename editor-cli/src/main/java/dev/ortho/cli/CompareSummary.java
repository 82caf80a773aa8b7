package dev.ortho.cli;

import dev.ortho.core.runtime.LogitComparison;
import dev.ortho.core.runtime.LogitComparison.Position;
import dev.ortho.core.runtime.LogitComparison.Stats;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The metrics {@code ortho compare} reports and gates on: the whole-sequence summary of
 * {@link LogitComparison.Report#metrics()}, plus the first generated token (the last prompt position,
 * whose distribution is the first new token's) and, when the original's greedy continuation was
 * appended, the continuation's positions (those predicting a continuation token).
 *
 * @param promptLengths tokens of each sequence that are prompt (the rest is continuation)
 */
record CompareSummary(LogitComparison.Report report, int[] promptLengths, int[] lengths, boolean continuation) {

    /** First-token metrics, then continuation metrics when there is one, after the report's own. */
    Map<String, Double> metrics() {
        Map<String, Double> m = new LinkedHashMap<>(report.metrics());
        put(m, "first", this::isFirst, false);
        if (continuation) put(m, "cont", this::isContinuation, true);
        return m;
    }

    Stats stats(String group) {
        Predicate<Position> which = group.equals("first") ? this::isFirst : this::isContinuation;
        return Stats.of(report.perPosition().stream().filter(which).mapToDouble(Position::kl).toArray());
    }

    private boolean isFirst(Position p) {
        return p.position() == promptLengths[p.sequence()] - 1;
    }

    /** Positions whose next token is a continuation token. */
    private boolean isContinuation(Position p) {
        return p.position() >= promptLengths[p.sequence()] - 1 && p.position() < lengths[p.sequence()] - 1;
    }

    private void put(Map<String, Double> m, String prefix, Predicate<Position> which, boolean ce) {
        List<Position> ps = report.perPosition().stream().filter(which).toList();
        Stats kl = Stats.of(ps.stream().mapToDouble(Position::kl).toArray());
        m.put(prefix + "_kl_mean", kl.mean());
        m.put(prefix + "_kl_p50", kl.p50());
        m.put(prefix + "_kl_p95", kl.p95());
        m.put(prefix + "_kl_max", kl.max());
        m.put(prefix + "_top1", ps.stream().mapToDouble(p -> p.top1() ? 1 : 0).average().orElse(Double.NaN));
        m.put(prefix + "_top5", ps.stream().mapToDouble(Position::top5).average().orElse(Double.NaN));
        m.put(prefix + "_dlogit_max", ps.stream().mapToDouble(Position::maxAbsDiff).max().orElse(Double.NaN));
        if (ce) {
            double a = ps.stream().mapToDouble(Position::ceOriginal).average().orElse(Double.NaN);
            double b = ps.stream().mapToDouble(Position::ceEdited).average().orElse(Double.NaN);
            m.put(prefix + "_ce_original", a);
            m.put(prefix + "_ce_edited", b);
            m.put(prefix + "_ce_delta", b - a);
        }
    }
}
