package dev.ortho.core.audit;

import java.util.List;

/**
 * What {@code ortho diff} reports: how OTHER differs from ORIGINAL, tensor by tensor, the direction its edit
 * removed (recovered from the deltas alone), and a one-line verdict.
 *
 * @param unchanged         tensors byte-identical in both
 * @param added             tensors only in OTHER
 * @param missing           tensors only in ORIGINAL
 * @param changed           tensors whose dtype, shape or bytes differ, in ORIGINAL's order
 * @param residualWriters   tensors of ORIGINAL that write into the residual stream
 * @param recoveredDirection the common direction of the changed writers' deltas; null when none changed
 * @param cosine            |cos| of the recovered direction with --direction (the best row of a per-layer file)
 * @param directionCosines  |cos| with each row of --direction
 * @param candidateCosines  |cos| with each candidate of --candidates, best first
 * @param rank1Tensors      changed tensors whose delta has effective rank 1
 * @param normPreservingTensors changed tensors whose vectors kept their norms
 * @param deviating         changed writers whose own top direction is not the common one
 * @param verdict           one line
 */
public record DiffReport(String original, String other, String arch, int hidden, int layers, int unchanged,
                         List<Tensor> added, List<Tensor> missing, List<ChangedTensor> changed, int residualWriters,
                         RecoveredDirection recoveredDirection, Double cosine, List<DirectionCosine> directionCosines,
                         List<CandidateCosine> candidateCosines, List<String> rank1Tensors,
                         List<String> normPreservingTensors, List<Deviation> deviating, String verdict) {

    /** A tensor present on one side only. */
    public record Tensor(String name, String role, int layer, String dtype, List<Long> shape) {}

    /**
     * One tensor that differs.
     *
     * @param note                why there is no numeric analysis, or what else is notable; null otherwise
     * @param analysis            the delta's audit; null when shapes differ or a dtype is not a float type
     * @param cosineWithCommon    |cos| of its own top direction with the recovered one (writers)
     * @param cosineWithDirection |cos| of its own top direction with --direction (its layer's row)
     */
    public record ChangedTensor(String name, String role, int layer, boolean writer, String dtypeBefore, String dtypeAfter,
                                List<Long> shapeBefore, List<Long> shapeAfter, String note, DeltaAnalysis analysis,
                                Double cosineWithCommon, Double cosineWithDirection) {

        public boolean dtypeChanged() { return !dtypeBefore.equals(dtypeAfter); }

        public boolean shapeChanged() { return !shapeBefore.equals(shapeAfter); }
    }

    /**
     * @param unit           the direction, unit length, sign fixed so its largest component is positive
     * @param share          share of the changed writers' ||dW||^2 along it
     * @param nextShare      share along the second direction (near 0 when one direction explains the edit)
     * @param writers        changed writers it was recovered from
     */
    public record RecoveredDirection(double[] unit, double share, double nextShare, int writers) {}

    /** |cos| with row {@code row} of --direction (-1 for a single direction). */
    public record DirectionCosine(int row, double cosine) {}

    /** |cos| with the candidate at post-instruction position {@code position} (-n..-1) and layer {@code layer}. */
    public record CandidateCosine(int position, int layer, double cosine) {}

    /** A changed writer whose own top direction has |cos| {@code cosine} with the recovered one. */
    public record Deviation(String name, int layer, double cosine) {}
}
