package dev.ortho.core.pipeline;

import dev.ortho.core.runtime.Intervention;
import dev.ortho.core.runtime.Intervention.PerSequence.Row;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Every forward row that scoring K candidates needs (issue 3), run in as few ONNX Runtime runs as fit: for
 * candidate k, the harmful val prompts with r_k ablated, and the harmless val prompts once with r_k added and
 * once with r_k ablated. A per-sequence intervention lets any rows share a run, so rows are sorted by length
 * and cut into runs of similar lengths: a run then pads little, where a run of one prompt list pads every
 * prompt to its longest (on the organism, about half of the tokens run are padding). Positions come from the
 * attention mask, so a row's numbers do not depend on its run beyond float32 summation order.
 */
final class CandidateBatch {

    /** Which of a candidate's three logit lists a row feeds. */
    enum Slot { HARMFUL_ABLATED, HARMLESS_INDUCED, HARMLESS_ABLATED }

    private record Job(int[] prompt, Row row, int candidate, Slot slot, int index) {}

    private final List<Job> jobs = new ArrayList<>();
    private final float[][][][] logits; // [candidate][slot][prompt]

    /**
     * @param directions the candidates' raw directions (float32), none of them zero
     * @param layers     each candidate's source layer (where its addition goes)
     */
    CandidateBatch(List<float[]> directions, int[] layers, List<int[]> harmful, List<int[]> harmless) {
        logits = new float[directions.size()][Slot.values().length][][];
        for (int k = 0; k < directions.size(); k++) {
            float[] r = directions.get(k);
            add(harmful, Row.ablate(r), k, Slot.HARMFUL_ABLATED);
            add(harmless, Row.actAdd(r, layers[k], 1.0), k, Slot.HARMLESS_INDUCED);
            add(harmless, Row.ablate(r), k, Slot.HARMLESS_ABLATED);
        }
    }

    private void add(List<int[]> prompts, Row row, int k, Slot slot) {
        logits[k][slot.ordinal()] = new float[prompts.size()][];
        for (int i = 0; i < prompts.size(); i++) jobs.add(new Job(prompts.get(i), row, k, slot, i));
    }

    /**
     * Runs every row through {@code forward} (sequences, per-sequence intervention → last-position logits),
     * at most {@code rowsPerRun} rows a run.
     */
    void run(BiFunction<List<int[]>, Intervention, List<float[]>> forward, int rowsPerRun) {
        List<Job> byLength = new ArrayList<>(jobs);
        byLength.sort(Comparator.comparingInt(j -> j.prompt().length)); // stable: ties keep building order
        for (int from = 0; from < byLength.size(); from += rowsPerRun) {
            List<Job> run = byLength.subList(from, Math.min(byLength.size(), from + rowsPerRun));
            List<float[]> out = forward.apply(run.stream().map(Job::prompt).toList(),
                    Intervention.perSequence(run.stream().map(Job::row).toList()));
            for (int i = 0; i < run.size(); i++) {
                Job j = run.get(i);
                logits[j.candidate()][j.slot().ordinal()][j.index()] = out.get(i);
            }
        }
    }

    /** Candidate k's logits for one slot, in prompt order (after {@link #run}). */
    List<float[]> logits(int k, Slot slot) {
        return Arrays.asList(logits[k][slot.ordinal()]);
    }
}
