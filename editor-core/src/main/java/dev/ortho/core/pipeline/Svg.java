package dev.ortho.core.pipeline;

import java.util.List;
import java.util.Locale;

/** Small inline SVG charts for the HTML report: no scripts, no external assets. */
final class Svg {

    static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"};
    private static final int W = 460, H = 260, L = 50, R = 110, T = 28, B = 36;

    record Series(String name, double[] y) {}

    private Svg() {}

    /** Lines over x = 0..n−1 (layers), one per series, with an optional dashed horizontal threshold. */
    static String lines(String title, String xLabel, List<Series> series, Double threshold) {
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
    static String rateBars(String title, List<String> labels, double[] values, List<String> colors) {
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
    static String histogram(String title, String xLabel, double[] values, int bins) {
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

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;").replace("\"", "&quot;");
    }

    private static String f(String fmt, Object... args) { return String.format(Locale.ROOT, fmt, args); }
}
