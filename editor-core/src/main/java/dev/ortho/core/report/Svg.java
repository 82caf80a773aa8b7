package dev.ortho.core.report;

import java.util.List;
import java.util.Locale;

/** Small inline SVG charts for the HTML report: no scripts, no external assets. */
public final class Svg {

    static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"};
    private static final int W = 460, H = 260, L = 50, R = 110, T = 28, B = 36;

    public record Series(String name, double[] y) {}

    /** Points of a scatter plot: one colour and name per group. */
    public record Points(String name, double[] x, double[] y, String color, double radius) {}

    private Svg() {}

    /** Lines over x = 0..n−1 (layers), one per series, with an optional dashed horizontal threshold. */
    public static String lines(String title, String xLabel, List<Series> series, Double threshold) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        int n = 0;
        for (Series s : series) {
            n = Math.max(n, s.y().length);
            for (double v : s.y()) if (Double.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
        }
        if (threshold != null) { lo = Math.min(lo, threshold); hi = Math.max(hi, threshold); }
        if (!(hi > lo)) { hi = lo + 1; }
        double pad = (hi - lo) * 0.05;
        lo -= pad;
        hi += pad;
        StringBuilder b = header(title);
        axes(b, lo, hi, n, xLabel);
        for (int i = 0; i < series.size(); i++) {
            Series s = series.get(i);
            StringBuilder pts = new StringBuilder();
            for (int x = 0; x < s.y().length; x++)
                if (Double.isFinite(s.y()[x])) pts.append(f("%.1f,%.1f ", px(x, n), py(s.y()[x], lo, hi)));
            String c = COLORS[i % COLORS.length];
            b.append(f("<polyline fill='none' stroke='%s' stroke-width='1.8' points='%s'/>", c, pts.toString().strip()));
            b.append(f("<text x='%d' y='%d' fill='%s' font-size='11'>%s</text>", W - R + 8, T + 14 + 15 * i, c, esc(s.name())));
        }
        if (threshold != null)
            b.append(f("<line x1='%d' x2='%d' y1='%.1f' y2='%.1f' stroke='#555' stroke-dasharray='4 3'/>", L, W - R,
                    py(threshold, lo, hi), py(threshold, lo, hi)));
        return b.append("</svg>").toString();
    }

    /** Horizontal bars of values in [0, 1] (refusal rates), labelled with percentages. */
    public static String rateBars(String title, List<String> labels, double[] values, List<String> colors) {
        int rowH = 22, h = T + rowH * labels.size() + 10, labelW = 190, barW = W - labelW - 60;
        StringBuilder b = new StringBuilder(f("<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' role='img'>", W, h));
        b.append(f("<text x='4' y='16' font-size='13' font-weight='bold'>%s</text>", esc(title)));
        for (int i = 0; i < labels.size(); i++) {
            int y = T + rowH * i;
            b.append(f("<text x='%d' y='%d' font-size='11' text-anchor='end'>%s</text>", labelW - 6, y + 14, esc(labels.get(i))));
            b.append(f("<rect x='%d' y='%d' width='%.1f' height='16' fill='%s'/>", labelW, y + 2, Math.max(0.5, barW * values[i]), colors.get(i)));
            b.append(f("<text x='%.1f' y='%d' font-size='11'>%.0f %%</text>", labelW + barW * values[i] + 4, y + 14, 100 * values[i]));
        }
        return b.append("</svg>").toString();
    }

    /** Histogram of non-negative values (per-prompt KL) in {@code bins} equal bins. */
    public static String histogram(String title, String xLabel, double[] values, int bins) {
        double hi = 0;
        for (double v : values) if (Double.isFinite(v)) hi = Math.max(hi, v);
        if (hi <= 0) hi = 1e-9;
        int[] counts = new int[bins];
        for (double v : values) if (Double.isFinite(v)) counts[Math.min(bins - 1, (int) (v / hi * bins))]++;
        int max = 1;
        for (int c : counts) max = Math.max(max, c);
        StringBuilder b = header(title);
        double bw = (double) (W - L - R) / bins;
        for (int i = 0; i < bins; i++) {
            double h = (H - T - B) * (double) counts[i] / max;
            b.append(f("<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='#1f77b4'/>", L + i * bw, H - B - h, bw - 1, h));
        }
        b.append(f("<line x1='%d' x2='%d' y1='%d' y2='%d' stroke='#333'/>", L, W - R, H - B, H - B));
        b.append(f("<text x='%d' y='%d' font-size='10'>0</text>", L, H - B + 13));
        b.append(f("<text x='%d' y='%d' font-size='10' text-anchor='end'>%.3g</text>", W - R, H - B + 13, hi));
        b.append(f("<text x='%d' y='%d' font-size='10'>max count %d</text>", W - R + 8, T + 12, max));
        b.append(f("<text x='%d' y='%d' font-size='11' text-anchor='middle'>%s</text>", (L + W - R) / 2, H - 6, esc(xLabel)));
        return b.append("</svg>").toString();
    }

    private static StringBuilder header(String title) {
        StringBuilder b = new StringBuilder(f("<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' role='img'>", W, H));
        return b.append(f("<text x='4' y='16' font-size='13' font-weight='bold'>%s</text>", esc(title)));
    }

    private static void axes(StringBuilder b, double lo, double hi, int n, String xLabel) {
        b.append(f("<line x1='%d' x2='%d' y1='%d' y2='%d' stroke='#333'/>", L, W - R, H - B, H - B));
        b.append(f("<line x1='%d' x2='%d' y1='%d' y2='%d' stroke='#333'/>", L, L, T, H - B));
        for (int k = 0; k <= 4; k++) {
            double v = lo + (hi - lo) * k / 4;
            double y = py(v, lo, hi);
            b.append(f("<text x='%d' y='%.1f' font-size='10' text-anchor='end'>%.3g</text>", L - 4, y + 3, v));
            b.append(f("<line x1='%d' x2='%d' y1='%.1f' y2='%.1f' stroke='#eee'/>", L + 1, W - R, y, y));
        }
        for (int x = 0; x < n; x++)
            b.append(f("<text x='%.1f' y='%d' font-size='10' text-anchor='middle'>%d</text>", px(x, n), H - B + 13, x));
        b.append(f("<text x='%d' y='%d' font-size='11' text-anchor='middle'>%s</text>", (L + W - R) / 2, H - 6, esc(xLabel)));
    }

    private static double px(int x, int n) { return L + (n <= 1 ? 0 : (double) x / (n - 1) * (W - L - R)); }

    private static double py(double v, double lo, double hi) { return H - B - (v - lo) / (hi - lo) * (H - T - B); }

    public static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;").replace("\"", "&quot;");
    }

    /**
     * Scatter of (x, y) groups, drawn in order (later groups on top), optionally on a log x axis (values at or below 0
     * are drawn at the left edge), with a dashed vertical line at {@code xLine} when given.
     */
    public static String scatter(String title, String xLabel, String yLabel, List<Points> groups, boolean logX, Double xLine) {
        double xlo = Double.POSITIVE_INFINITY, xhi = Double.NEGATIVE_INFINITY, ylo = Double.POSITIVE_INFINITY, yhi = Double.NEGATIVE_INFINITY;
        for (Points g : groups) {
            for (int i = 0; i < g.x().length; i++) {
                double x = tx(g.x()[i], logX), y = g.y()[i];
                if (Double.isFinite(x)) { xlo = Math.min(xlo, x); xhi = Math.max(xhi, x); }
                if (Double.isFinite(y)) { ylo = Math.min(ylo, y); yhi = Math.max(yhi, y); }
            }
        }
        if (xLine != null && Double.isFinite(tx(xLine, logX))) { xlo = Math.min(xlo, tx(xLine, logX)); xhi = Math.max(xhi, tx(xLine, logX)); }
        if (!(xhi > xlo)) xhi = xlo + 1;
        if (!(yhi > ylo)) yhi = ylo + 1;
        if (!Double.isFinite(xlo)) { xlo = 0; xhi = 1; }
        if (!Double.isFinite(ylo)) { ylo = 0; yhi = 1; }
        double yp = (yhi - ylo) * 0.05, xp = (xhi - xlo) * 0.03;
        ylo -= yp; yhi += yp; xlo -= xp; xhi += xp;
        StringBuilder b = header(title);
        b.append(f("<line x1='%d' x2='%d' y1='%d' y2='%d' stroke='#333'/>", L, W - R, H - B, H - B));
        b.append(f("<line x1='%d' x2='%d' y1='%d' y2='%d' stroke='#333'/>", L, L, T, H - B));
        for (int k = 0; k <= 4; k++) {
            double v = ylo + (yhi - ylo) * k / 4, y = py(v, ylo, yhi);
            b.append(f("<text x='%d' y='%.1f' font-size='10' text-anchor='end'>%.3g</text>", L - 4, y + 3, v));
            b.append(f("<line x1='%d' x2='%d' y1='%.1f' y2='%.1f' stroke='#eee'/>", L + 1, W - R, y, y));
            double xv = xlo + (xhi - xlo) * k / 4;
            b.append(f("<text x='%.1f' y='%d' font-size='10' text-anchor='middle'>%.3g</text>", sx(xv, xlo, xhi), H - B + 13,
                    logX ? Math.pow(10, xv) : xv));
        }
        for (int gi = 0; gi < groups.size(); gi++) {
            Points g = groups.get(gi);
            for (int i = 0; i < g.x().length; i++) {
                double x = tx(g.x()[i], logX), y = g.y()[i];
                if (!Double.isFinite(y)) continue;
                if (!Double.isFinite(x)) x = xlo;
                b.append(f("<circle cx='%.1f' cy='%.1f' r='%.1f' fill='%s' fill-opacity='0.75'/>", sx(x, xlo, xhi), py(y, ylo, yhi),
                        g.radius(), g.color()));
            }
            b.append(f("<text x='%d' y='%d' fill='%s' font-size='11'>%s</text>", W - R + 8, T + 14 + 15 * gi, g.color(), esc(g.name())));
        }
        if (xLine != null && Double.isFinite(tx(xLine, logX))) {
            double x = sx(tx(xLine, logX), xlo, xhi);
            b.append(f("<line x1='%.1f' x2='%.1f' y1='%d' y2='%d' stroke='#555' stroke-dasharray='4 3'/>", x, x, T, H - B));
        }
        b.append(f("<text x='%d' y='%d' font-size='11' text-anchor='middle'>%s</text>", (L + W - R) / 2, H - 6, esc(xLabel)));
        b.append(f("<text x='12' y='%d' font-size='11' transform='rotate(-90 12 %d)' text-anchor='middle'>%s</text>", (T + H - B) / 2,
                (T + H - B) / 2, esc(yLabel)));
        return b.append("</svg>").toString();
    }

    private static double tx(double x, boolean log) { return log ? (x > 0 ? Math.log10(x) : Double.NaN) : x; }

    private static double sx(double x, double lo, double hi) { return L + (x - lo) / (hi - lo) * (W - L - R); }

    private static String f(String fmt, Object... args) { return String.format(Locale.ROOT, fmt, args); }
}
