package dev.ortho.core.edit;

import dev.ortho.formats.InvalidInputException;

import java.util.ArrayList;
import java.util.List;

/**
 * Which directions an edit removes, as the user gave them.
 *
 * @param directions {@code --direction FILE[:TENSOR]}, k &gt;= 1, in order (the span is removed)
 * @param indices    {@code --direction-index LAYER[@POS]}, empty or one per direction (null or "-": none);
 *                   a direction with an index must be a candidates file ({@code mean_diffs} [n_eoi, L, hidden])
 * @param biproject  {@code --biproject CANDIDATES_FILE}: project each direction off the normalized harmless
 *                   mean of each layer, or null
 */
public record DirectionRequest(List<String> directions, List<String> indices, String biproject) {

    public DirectionRequest {
        if (directions == null || directions.isEmpty()) throw new InvalidInputException("no direction given");
        directions = List.copyOf(directions);
        List<String> idx = new ArrayList<>();
        if (indices != null) idx.addAll(indices);
        if (!idx.isEmpty() && idx.size() != directions.size()) {
            throw new InvalidInputException("--direction-index given " + idx.size() + " times for " + directions.size()
                    + " directions: give one per direction, in the same order");
        }
        indices = java.util.Collections.unmodifiableList(idx);
    }

    /** One plain direction file: the paper's edit. */
    public static DirectionRequest of(String direction) {
        return new DirectionRequest(List.of(direction), List.of(), null);
    }

    /** The index of direction {@code i}, or null. */
    public String indexOf(int i) {
        String s = indices.isEmpty() ? null : indices.get(i);
        return s == null || s.isBlank() || s.strip().equals("-") ? null : s.strip();
    }

    /** Whether this is one plain direction file (no index, no biprojection): the exact paper path. */
    public boolean plain() { return directions.size() == 1 && indexOf(0) == null && biproject == null; }
}
