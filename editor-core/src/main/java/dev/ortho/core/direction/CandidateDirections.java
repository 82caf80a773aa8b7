package dev.ortho.core.direction;

import java.util.Arrays;

/**
 * The paper's candidate directions r_i^(l) = μ_i^(l) − ν_i^(l), unnormalized, in float64, for every
 * post-instruction position i ∈ {−n..−1} and layer l ∈ {0..L−1} (METHOD.md §1: "No normalization is applied
 * to the stored candidates"; the shape is the paper's {@code mean_diffs} [n_eoi, L, d_model]).
 */
public record CandidateDirections(int positions, int layers, int hidden, double[] values) {

    public CandidateDirections {
        if ((long) positions * layers * hidden != values.length)
            throw new IllegalArgumentException(values.length + " values for " + positions + " × " + layers + " × " + hidden);
        values = values.clone();
    }

    /** The raw candidate at {@code position} (−n..−1) and {@code layer} (0..L−1): a copy. */
    public double[] direction(int position, int layer) {
        int off = offset(position, layer);
        return Arrays.copyOfRange(values, off, off + hidden);
    }

    /** ‖r‖ in float64 (the paper keeps r raw and normalizes only where it uses it, §1). */
    public double norm(int position, int layer) {
        int off = offset(position, layer);
        double s = 0;
        for (int i = 0; i < hidden; i++) s += values[off + i] * values[off + i];
        return Math.sqrt(s);
    }

    /** All values, {@code [position][layer][hidden]}: a copy. */
    @Override
    public double[] values() { return values.clone(); }

    private int offset(int position, int layer) {
        if (position < -positions || position > -1)
            throw new IndexOutOfBoundsException("position " + position + " is outside −" + positions + "..−1");
        if (layer < 0 || layer >= layers) throw new IndexOutOfBoundsException("layer " + layer + " is outside 0.." + (layers - 1));
        return ((position + positions) * layers + layer) * hidden;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CandidateDirections c && c.positions == positions && c.layers == layers
                && c.hidden == hidden && Arrays.equals(c.values, values);
    }

    @Override
    public int hashCode() { return Arrays.hashCode(values); }

    @Override
    public String toString() { return "CandidateDirections[" + positions + " positions × " + layers + " layers × " + hidden + "]"; }
}
