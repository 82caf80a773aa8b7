package dev.ortho.core.eval;

import java.util.Comparator;

/**
 * Where a candidate direction was read: post-instruction position (−n..−1, METHOD.md §1 "Positions") and the
 * layer whose {@code resid_pre} it was taken from (0..L−1).
 */
public record Candidate(int position, int layer) implements Comparable<Candidate> {

    /** The paper's loop order (§2.3, select_direction.py): positions −n..−1 outer, layers 0..L−1 inner. */
    public static final Comparator<Candidate> PAPER_ORDER =
            Comparator.comparingInt(Candidate::position).thenComparingInt(Candidate::layer);

    public Candidate {
        if (position >= 0) throw new IllegalArgumentException("position must be negative (−n..−1): " + position);
        if (layer < 0) throw new IllegalArgumentException("layer must be ≥ 0: " + layer);
    }

    @Override
    public int compareTo(Candidate o) { return PAPER_ORDER.compare(this, o); }
}
