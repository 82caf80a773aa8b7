package dev.ortho.core.runtime;

import dev.ortho.core.numeric.Softmax;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How far an edited model's next-token distributions are from the original's, position by position
 * (float64 log-softmax).
 *
 * <ul>
 *   <li>{@code kl}: KL(original ‖ edited) in nats;</li>
 *   <li>{@code top1}: 1 when both argmaxes agree;</li>
 *   <li>{@code top5}: |top5(original) ∩ top5(edited)| / 5;</li>
 *   <li>{@code dlogit}: max |logit difference| over the vocabulary;</li>
 *   <li>{@code ce_original}, {@code ce_edited}: cross-entropy of the sequence's actual next token
 *       (positions that have one).</li>
 * </ul>
 */
public final class LogitComparison {

    /** One position's numbers. */
    public record Position(int sequence, int position, double kl, boolean top1, double top5, double maxAbsDiff,
                           double ceOriginal, double ceEdited) {}

    /** mean, p50, p95, max of one metric. */
    public record Stats(double mean, double p50, double p95, double max) {
        /** The summary of {@code v} (NaN for an empty array). */
        public static Stats of(double[] v) {
            if (v.length == 0) return new Stats(Double.NaN, Double.NaN, Double.NaN, Double.NaN);
            double[] s = v.clone();
            Arrays.sort(s);
            double sum = 0;
            for (double x : s) sum += x;
            return new Stats(sum / s.length, quantile(s, 0.5), quantile(s, 0.95), s[s.length - 1]);
        }

        /** Linear interpolation between order statistics (numpy's default). */
        private static double quantile(double[] sorted, double q) {
            double at = q * (sorted.length - 1);
            int lo = (int) Math.floor(at), hi = Math.min(lo + 1, sorted.length - 1);
            return sorted[lo] + (at - lo) * (sorted[hi] - sorted[lo]);
        }
    }

    /** Per-position numbers and their summary. */
    public record Report(int positions, Stats kl, double top1, double top5, Stats maxAbsDiff, double ceOriginal,
                         double ceEdited, List<Position> perPosition) {

        /** The summary as flat metric names, as {@code --fail-if} names them. */
        public Map<String, Double> metrics() {
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("kl_mean", kl.mean());
            m.put("kl_p50", kl.p50());
            m.put("kl_p95", kl.p95());
            m.put("kl_max", kl.max());
            m.put("top1", top1);
            m.put("top5", top5);
            m.put("dlogit_mean", maxAbsDiff.mean());
            m.put("dlogit_p50", maxAbsDiff.p50());
            m.put("dlogit_p95", maxAbsDiff.p95());
            m.put("dlogit_max", maxAbsDiff.max());
            m.put("ce_original", ceOriginal);
            m.put("ce_edited", ceEdited);
            m.put("ce_delta", ceEdited - ceOriginal);
            return m;
        }
    }

    private LogitComparison() {}

    /** Compares logits of the same sequences ({@code [len, vocab]} each) from two runs. */
    public static Report compare(List<int[]> sequences, List<float[]> original, List<float[]> edited, int vocab) {
        List<Position> out = new ArrayList<>();
        for (int s = 0; s < sequences.size(); s++) {
            int[] ids = sequences.get(s);
            float[] a = original.get(s), b = edited.get(s);
            for (int p = 0; p < ids.length; p++) {
                double[] la = Softmax.logProbabilities(a, p * vocab, vocab), lb = Softmax.logProbabilities(b, p * vocab, vocab);
                double kl = 0, maxDiff = 0;
                for (int j = 0; j < vocab; j++) {
                    double pa = Math.exp(la[j]);
                    if (pa > 0) kl += pa * (la[j] - lb[j]);
                    maxDiff = Math.max(maxDiff, Math.abs((double) a[p * vocab + j] - b[p * vocab + j]));
                }
                int[] ta = topK(la, 5), tb = topK(lb, 5);
                int common = 0;
                for (int x : ta) for (int y : tb) if (x == y) common++;
                double ceA = Double.NaN, ceB = Double.NaN;
                if (p + 1 < ids.length) {
                    ceA = -la[ids[p + 1]];
                    ceB = -lb[ids[p + 1]];
                }
                out.add(new Position(s, p, Math.max(kl, 0), ta[0] == tb[0], common / (double) Math.min(5, vocab), maxDiff, ceA, ceB));
            }
        }
        double[] kl = out.stream().mapToDouble(Position::kl).toArray();
        double[] diff = out.stream().mapToDouble(Position::maxAbsDiff).toArray();
        double top1 = out.stream().mapToDouble(p -> p.top1() ? 1 : 0).average().orElse(Double.NaN);
        double top5 = out.stream().mapToDouble(Position::top5).average().orElse(Double.NaN);
        double ceA = out.stream().filter(p -> !Double.isNaN(p.ceOriginal())).mapToDouble(Position::ceOriginal).average().orElse(Double.NaN);
        double ceB = out.stream().filter(p -> !Double.isNaN(p.ceEdited())).mapToDouble(Position::ceEdited).average().orElse(Double.NaN);
        return new Report(out.size(), Stats.of(kl), top1, top5, Stats.of(diff), ceA, ceB, List.copyOf(out));
    }

    /** Indices of the k largest values, largest first, lower index first on ties. */
    public static int[] topK(double[] v, int k) {
        k = Math.min(k, v.length);
        int[] idx = new int[k];
        boolean[] taken = new boolean[v.length];
        for (int i = 0; i < k; i++) {
            int best = -1;
            for (int j = 0; j < v.length; j++) if (!taken[j] && (best < 0 || v[j] > v[best])) best = j;
            taken[best] = true;
            idx[i] = best;
        }
        return idx;
    }
}
