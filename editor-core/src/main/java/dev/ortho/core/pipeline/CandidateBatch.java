package dev.ortho.core.pipeline;

import dev.ortho.core.runtime.Intervention;
import dev.ortho.core.runtime.Intervention.PerSequence.Row;

import java.util.ArrayList;
import java.util.List;

/**
 * The two forward batches that score K candidates at once (issue 3). Harmful val is repeated once per
 * candidate with that candidate's ablation; harmless val twice per candidate, once with its activation
 * addition and once with its ablation. Each batch repeats one prompt list, so it is padded to the same length
 * as the one-candidate runs and every row gets the numbers it would get alone.
 *
 * @param directions the candidates' raw directions (float32), none of them zero
 * @param layers     each candidate's source layer (where its addition goes)
 */
record CandidateBatch(List<float[]> directions, int[] layers) {

    /** Harmful prompts, candidate-major: rows [k·n, (k+1)·n) ablate candidate k. */
    Rows harmful(List<int[]> prompts) {
        Rows rows = new Rows();
        for (float[] r : directions) rows.addAll(prompts, Row.ablate(r));
        return rows;
    }

    /** Harmless prompts: for candidate k, rows [2k·n, (2k+1)·n) add r_k, rows [(2k+1)·n, (2k+2)·n) ablate it. */
    Rows harmless(List<int[]> prompts) {
        Rows rows = new Rows();
        for (int k = 0; k < directions.size(); k++) {
            rows.addAll(prompts, Row.actAdd(directions.get(k), layers[k], 1.0));
            rows.addAll(prompts, Row.ablate(directions.get(k)));
        }
        return rows;
    }

    /** Block {@code i} of {@code size} consecutive results. */
    static List<float[]> block(List<float[]> all, int i, int size) {
        return all.subList(i * size, (i + 1) * size);
    }

    /** Sequences and their per-row interventions, in the same order. */
    static final class Rows {
        final List<int[]> sequences = new ArrayList<>();
        final List<Row> interventions = new ArrayList<>();

        private void addAll(List<int[]> prompts, Row row) {
            for (int[] p : prompts) {
                sequences.add(p);
                interventions.add(row);
            }
        }

        Intervention intervention() { return Intervention.perSequence(interventions); }
    }
}
