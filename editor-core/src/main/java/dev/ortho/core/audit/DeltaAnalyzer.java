package dev.ortho.core.audit;

import dev.ortho.core.edit.ElementCodec;
import dev.ortho.formats.safetensors.DType;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Audits the delta of one tensor in streaming passes over both mappings, a block of vectors at a time: one
 * pass for the statistics (fused with the first subspace round), one per further round of the subspace
 * iteration on G = dW dW^T (never formed), and one for the projection fit. The heap holds a few blocks, the
 * k vectors of the subspace, two per-axis norm arrays and three doubles per vector.
 */
public final class DeltaAnalyzer {

    /** Singular values computed: the 16 reported plus oversampling, so the 16th converges quickly. */
    static final int SUBSPACE = 24;
    static final int REPORTED = 16;
    static final int MAX_ROUNDS = 30;
    /**
     * Eigenvalues need to be known to this share of ||dW||^2 (the reported shares' precision). Without this floor a
     * BF16 delta's flat spectrum of rounding noise would never meet the relative tolerance: measured on a
     * hidden-4096 BF16 orthogonalization, every tensor ran the 30-round limit.
     */
    static final double VALUE_SHARE = 1e-6;
    /** Energy below this share of ||dW||^2 never counts towards the rank (the eigen-solver's own accuracy). */
    static final double RANK_SLACK = 1e-9;

    /** The analysis and what the checkpoint-level audit needs from it. */
    public record Result(DeltaAnalysis analysis, SubspaceIteration.Result spectrum, double[] topDirection, double energy) {}

    private final HiddenVectors hv;
    private final MemorySegment before, after;
    private final DType beforeType, afterType;
    private final ElementCodec beforeCodec, afterCodec;
    private final int block;
    private final double[] o, n, d, run;

    public DeltaAnalyzer(HiddenVectors hv, MemorySegment before, DType beforeType, MemorySegment after, DType afterType) {
        this.hv = hv;
        this.before = before;
        this.after = after;
        this.beforeType = beforeType;
        this.afterType = afterType;
        this.beforeCodec = ElementCodec.of(beforeType);
        this.afterCodec = ElementCodec.of(afterType);
        this.block = hv.blockVectors();
        this.o = new double[block * hv.dim()];
        this.n = new double[block * hv.dim()];
        this.d = new double[block * hv.dim()];
        this.run = new double[block];
    }

    /** Per-pass accumulators of the statistics pass. */
    private final class Stats {
        double sumW2, sumD2, bound2;
        long changed, nonFinite, normed;
        double maxRel, sumRel, sumRel2;
        final double[] coordBefore = new double[hv.dim()], coordAfter = new double[hv.dim()];
    }

    public Result analyze(String space) {
        int dim = hv.dim();
        Stats stats = new Stats();
        boolean[] first = {true};
        SubspaceIteration.Result spectrum = null;
        // The first application of G also gathers the statistics (and learns whether there is a delta at all).
        SubspaceIteration.Operator gram = (x, k) -> {
            double[] y = new double[dim * k];
            double[] p = new double[block * k];
            Stats s = first[0] ? stats : null;
            first[0] = false;
            hv.forEachRange(block, (firstVector, count) -> {
                load(firstVector, count);
                if (s != null) gather(s, count);
                accumulate(x, k, y, p, count);
            });
            // NaN or infinity in a delta has no spectrum: report the tensor without one.
            if (stats.nonFinite > 0) java.util.Arrays.fill(y, 0);
            return y;
        };
        if (hv.count() > 0 && dim > 0) {
            // Eigenvalues need to be known to VALUE_SHARE of ||dW||^2, and no better than the mean eigenvalue that
            // rounding alone can produce (bound2 / dim): below that they are noise that need not converge.
            spectrum = SubspaceIteration.top(gram, dim, SUBSPACE, REPORTED, MAX_ROUNDS,
                    () -> Math.max(VALUE_SHARE * stats.sumD2, stats.bound2 / dim));
        }
        if (stats.nonFinite > 0 || spectrum == null || stats.sumD2 == 0) {
            DeltaAnalysis a = new DeltaAnalysis(space, dim, hv.count(), stats.changed, Math.sqrt(stats.sumD2),
                    ratio(Math.sqrt(stats.sumD2), Math.sqrt(stats.sumW2)), Math.sqrt(stats.bound2), List.of(),
                    null, stats.sumD2 == 0 ? Integer.valueOf(0) : null, 0, true, spectrum == null ? 0 : spectrum.rounds(), null,
                    vectorNorms(stats), coordinateNorms(stats), false);
            return new Result(a, null, null, stats.sumD2);
        }
        int k = spectrum.k();
        double total = stats.sumD2;
        double[] lambda = spectrum.values();
        List<Double> singular = new ArrayList<>();
        for (int c = 0; c < Math.min(REPORTED, k); c++) singular.add(Math.sqrt(lambda[c]));
        DeltaAnalysis.EnergyShares shares = new DeltaAnalysis.EnergyShares(share(lambda, 1, total), share(lambda, 2, total),
                share(lambda, 4, total), share(lambda, REPORTED, total));
        Integer rank = effectiveRank(lambda, total, stats.bound2);
        double[] r = spectrum.vector(0);
        Fit fit = fitProjection(r);
        double resid2 = fit.residual2;
        boolean projection = fit.sumA2 > 0 && resid2 <= stats.bound2 * (1 + 1e-9) + 1e-20 * stats.sumW2;
        DeltaAnalysis.ProjectionFit pf = new DeltaAnalysis.ProjectionFit(projection, fit.alpha,
                Math.sqrt(resid2 / total), Math.sqrt(stats.bound2 / total));
        DeltaAnalysis.NormChange vn = vectorNorms(stats);
        double u = FloatRounding.unitRoundoff(afterType);
        // A plain projection shrinks every vector by (alpha^2 - 2 alpha) a^2 / (2 |v|^2) on average; a norm-
        // preserving edit keeps each within rounding and shows less than a tenth of that systematic shift.
        boolean normPreserving = stats.normed >= 2 && vn.maxAbsolute() <= 1.01 * u + 1e-12
                && fit.plainShift != 0 && Math.abs(vn.mean()) <= 0.1 * Math.abs(fit.plainShift);
        DeltaAnalysis a = new DeltaAnalysis(space, dim, hv.count(), stats.changed, Math.sqrt(total),
                ratio(Math.sqrt(total), Math.sqrt(stats.sumW2)), Math.sqrt(stats.bound2), singular, shares, rank, k,
                spectrum.converged(), spectrum.rounds(), pf, vn, coordinateNorms(stats), normPreserving);
        return new Result(a, spectrum, r, total);
    }

    private void load(long firstVector, int count) {
        hv.read(beforeCodec, before, firstVector, count, o, run);
        hv.read(afterCodec, after, firstVector, count, n, run);
        int len = count * hv.dim();
        for (int i = 0; i < len; i++) d[i] = n[i] - o[i];
    }

    private void gather(Stats s, int count) {
        int dim = hv.dim();
        for (int j = 0; j < count; j++) {
            double ov = 0, nv = 0, expected = 0;
            boolean changed = false;
            int off = j * dim;
            for (int i = 0; i < dim; i++) {
                double a = o[off + i], b = n[off + i], dd = d[off + i];
                if (!Double.isFinite(dd)) s.nonFinite++;
                ov += a * a;
                nv += b * b;
                s.sumD2 += dd * dd;
                double ulp = FloatRounding.ulp(afterType, b);
                s.bound2 += 0.25 * ulp * ulp;
                expected += ulp * ulp / 12;
                s.coordBefore[i] += a * a;
                s.coordAfter[i] += b * b;
                changed |= dd != 0;
            }
            s.sumW2 += ov;
            if (changed) s.changed++;
            if (ov > 0) {
                double rel = Math.sqrt(nv / ov) - 1;
                // Rounding to nearest adds sum(eps^2) ~ sum(ulp^2)/12 to |v'|^2 on average: take it out of the
                // mean so that a norm-preserving edit stored in BF16 still averages to zero.
                double corrected = (nv - expected - ov) / (2 * ov);
                s.maxRel = Math.max(s.maxRel, Math.abs(rel));
                s.sumRel += corrected;
                s.sumRel2 += rel * rel;
                s.normed++;
            }
        }
    }

    /** y += D^T (D x), D the current block of deltas [count x dim], x and y [dim x k]. */
    private void accumulate(double[] x, int k, double[] y, double[] p, int count) {
        int dim = hv.dim();
        java.util.Arrays.fill(p, 0, count * k, 0);
        for (int j = 0; j < count; j++) {
            int off = j * dim, po = j * k;
            for (int i = 0; i < dim; i++) {
                double dji = d[off + i];
                if (dji == 0) continue;
                int xo = i * k;
                for (int c = 0; c < k; c++) p[po + c] += dji * x[xo + c];
            }
        }
        for (int j = 0; j < count; j++) {
            int off = j * dim, po = j * k;
            for (int i = 0; i < dim; i++) {
                double dji = d[off + i];
                if (dji == 0) continue;
                int yo = i * k;
                for (int c = 0; c < k; c++) y[yo + c] += dji * p[po + c];
            }
        }
    }

    private record Fit(double alpha, double residual2, double sumA2, double plainShift) {}

    /** One more pass: per vector a = r.v, b = r.dv and the part of dv off r, then the best alpha. */
    private Fit fitProjection(double[] r) {
        int dim = hv.dim();
        int vectors = Math.toIntExact(hv.count());
        double[] av = new double[vectors], bv = new double[vectors], qv = new double[vectors];
        double[] off = {0};
        hv.forEachRange(block, (firstVector, count) -> {
            load(firstVector, count);
            for (int j = 0; j < count; j++) {
                int o0 = j * dim;
                double a = 0, b = 0, vv = 0;
                for (int i = 0; i < dim; i++) {
                    a += r[i] * o[o0 + i];
                    b += r[i] * d[o0 + i];
                    vv += o[o0 + i] * o[o0 + i];
                }
                double orth = 0;
                for (int i = 0; i < dim; i++) {
                    double e = d[o0 + i] - b * r[i];
                    orth += e * e;
                }
                off[0] += orth;
                int v = (int) (firstVector + j);
                av[v] = a;
                bv[v] = b;
                qv[v] = vv > 0 ? a * a / vv : Double.NaN;
            }
        });
        double sab = 0, saa = 0;
        for (int v = 0; v < vectors; v++) {
            sab += av[v] * bv[v];
            saa += av[v] * av[v];
        }
        double alpha = saa > 0 ? -sab / saa : 0;
        double along = 0, shift = 0;
        int normed = 0;
        for (int v = 0; v < vectors; v++) {
            double e = bv[v] + alpha * av[v];
            along += e * e;
            if (!Double.isNaN(qv[v])) {
                shift += (alpha * alpha - 2 * alpha) * qv[v] / 2;
                normed++;
            }
        }
        return new Fit(alpha, off[0] + along, saa, normed > 0 ? shift / normed : 0);
    }

    private static DeltaAnalysis.NormChange vectorNorms(Stats s) {
        if (s.normed == 0) return new DeltaAnalysis.NormChange(0, 0, 0);
        return new DeltaAnalysis.NormChange(s.maxRel, s.sumRel / s.normed, Math.sqrt(s.sumRel2 / s.normed));
    }

    private DeltaAnalysis.NormChange coordinateNorms(Stats s) {
        double max = 0, sum = 0, sum2 = 0;
        int count = 0;
        for (int i = 0; i < hv.dim(); i++) {
            if (s.coordBefore[i] <= 0) continue;
            double rel = Math.sqrt(s.coordAfter[i] / s.coordBefore[i]) - 1;
            max = Math.max(max, Math.abs(rel));
            sum += rel;
            sum2 += rel * rel;
            count++;
        }
        return count == 0 ? new DeltaAnalysis.NormChange(0, 0, 0)
                : new DeltaAnalysis.NormChange(max, sum / count, Math.sqrt(sum2 / count));
    }

    /** Smallest r whose leftover energy total - sum(lambda_1..r) a rounding of W' explains; null beyond k. */
    static Integer effectiveRank(double[] lambda, double total, double bound2) {
        double allowed = bound2 + RANK_SLACK * total;
        double captured = 0;
        for (int r = 0; r <= lambda.length; r++) {
            if (total - captured <= allowed) return r;
            if (r < lambda.length) captured += lambda[r];
        }
        return null;
    }

    private static double share(double[] lambda, int top, double total) {
        double s = 0;
        for (int c = 0; c < Math.min(top, lambda.length); c++) s += lambda[c];
        return Math.min(1, s / total);
    }

    private static double ratio(double a, double b) {
        return b > 0 ? a / b : (a == 0 ? 0 : Double.POSITIVE_INFINITY);
    }
}
