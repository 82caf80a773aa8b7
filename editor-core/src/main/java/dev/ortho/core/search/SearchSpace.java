package dev.ortho.core.search;

import dev.ortho.core.edit.LayerKernel;

/**
 * The box the optimizer explores, as {@value #VARIABLES} real variables in [0, 1] decoded into a {@link SearchPoint}.
 * Integer and boolean parameters are read from equal-width bins, so every point of the box is an edit.
 *
 * <ul>
 *   <li>position: −n_eoi..−1; direction index: [1, L−1] (layer 0's input is the token embedding, the same for every
 *   prompt at a post-instruction position, so its candidate is always zero);</li>
 *   <li>k: 1..maxDirections; biprojection, norm preservation: on/off when allowed; embedding edited: on/off;</li>
 *   <li>per component (attention, MLP) a Heretic kernel: peak [0, L−1], max weight [0.5, 1.5], min weight
 *   [0, max], distance [0.5, L − 0.5].</li>
 * </ul>
 *
 * @param layers        L
 * @param positions     n_eoi
 * @param maxDirections the largest k tried
 */
public record SearchSpace(int layers, int positions, int maxDirections, boolean allowBiproject, boolean allowNormPreserving) {

    public static final int VARIABLES = 14;

    public SearchSpace {
        if (layers < 1 || positions < 1) throw new IllegalArgumentException("empty search space");
        if (maxDirections < 1 || maxDirections > positions) {
            throw new IllegalArgumentException("directions must be 1.." + positions + ", got " + maxDirections);
        }
    }

    public SearchPoint decode(double[] x) {
        if (x.length != VARIABLES) throw new IllegalArgumentException(VARIABLES + " variables expected, got " + x.length);
        int position = -positions + bin(x[0], positions);
        double index = layers == 1 ? 0 : 1 + clamp(x[1]) * (layers - 2);
        if (Math.abs(index - Math.rint(index)) < 1e-9) index = Math.rint(index);     // an encoded whole layer decodes to itself
        int k = 1 + bin(x[2], maxDirections);
        boolean bi = allowBiproject && x[3] >= 0.5;
        boolean np = allowNormPreserving && x[4] >= 0.5;
        boolean embed = x[5] >= 0.5;
        return new SearchPoint(position, index, k, bi, np, embed, kernel(x, 6), kernel(x, 10));
    }

    /**
     * The variables of the paper's edit of the candidate at (position, layer): one direction, not biprojected, not
     * norm-preserving, embedding edited, every writer at full strength (flat kernels reaching every layer). The
     * search starts from it, so the front can only improve on the paper's selection.
     */
    public double[] encodePaper(int position, int layer) {
        double[] x = new double[VARIABLES];
        x[0] = (position + positions + 0.5) / positions;
        x[1] = layers <= 2 ? 0 : Math.max(0, Math.min(1, (layer - 1) / (double) (layers - 2)));
        x[2] = 0.5 / maxDirections;
        x[3] = 0.25;
        x[4] = 0.25;
        x[5] = 0.75;
        for (int at : new int[]{6, 10}) {
            x[at] = 0.5;        // peak in the middle
            x[at + 1] = 0.5;    // max weight 1
            x[at + 2] = 1.0;    // min weight = max
            x[at + 3] = 1.0;    // distance L − 0.5: every layer
        }
        return x;
    }

    private LayerKernel kernel(double[] x, int at) {
        double peak = clamp(x[at]) * (layers - 1);
        double max = 0.5 + clamp(x[at + 1]);
        double min = clamp(x[at + 2]) * max;
        double distance = 0.5 + clamp(x[at + 3]) * (layers - 1);
        return new LayerKernel(peak, max, min, distance);
    }

    private static int bin(double x, int n) {
        return Math.min(n - 1, (int) Math.floor(clamp(x) * n));
    }

    private static double clamp(double x) { return Math.max(0, Math.min(1, x)); }
}
