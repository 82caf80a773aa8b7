package dev.ortho.core.pipeline;

import dev.ortho.core.eval.Candidate;
import dev.ortho.core.eval.CandidateScorer;
import dev.ortho.core.eval.CandidateScores;
import dev.ortho.core.eval.CandidateScoring;
import dev.ortho.core.runtime.Intervention;

import java.util.List;

/**
 * {@link CandidateScorer} on the ONNX runtime (METHOD.md §2.3). For candidate r at layer l, over the filtered
 * validation prompts:
 * <ul>
 *   <li>bypass: harmful val with r̂ ablated from every layer input, attention output and MLP output;</li>
 *   <li>induce: harmless val with the raw r (coefficient +1) added to the input of layer l at every position;</li>
 *   <li>KL: harmless val, first-token KL(base ‖ ablated); the base logits are computed once.</li>
 * </ul>
 * A zero candidate (layer 0 at template positions, whose embedding is the same in every prompt) leaves the
 * model unchanged, as the reference's r / (‖r‖ + 1e-8) does; the runtime, which refuses a zero direction, is
 * then run without intervention.
 */
public final class RuntimeCandidateScorer implements CandidateScorer {

    private final ModelSession session;
    private final List<int[]> harmfulVal;
    private final List<int[]> harmlessVal;
    private final int[] refusalTokenIds;
    private final List<float[]> harmlessBase;
    private final StepProgress progress;

    public RuntimeCandidateScorer(ModelSession session, List<int[]> harmfulVal, List<int[]> harmlessVal,
                                  int[] refusalTokenIds, StepProgress progress) {
        if (harmfulVal.isEmpty() || harmlessVal.isEmpty())
            throw new IllegalArgumentException("scoring needs harmful and harmless validation prompts");
        this.session = session;
        this.harmfulVal = List.copyOf(harmfulVal);
        this.harmlessVal = List.copyOf(harmlessVal);
        this.refusalTokenIds = refusalTokenIds.clone();
        this.progress = progress;
        this.harmlessBase = session.lastLogits(this.harmlessVal, Intervention.none());
    }

    @Override
    public CandidateScores score(Candidate candidate, double[] rawDirection) {
        float[] r = toFloat(rawDirection);
        boolean zero = isZero(r);
        Intervention ablate = zero ? Intervention.none() : Intervention.ablate(r);
        Intervention induce = zero ? Intervention.none() : Intervention.actAdd(r, candidate.layer(), 1.0);
        List<float[]> harmfulAblated = session.lastLogits(harmfulVal, ablate);
        List<float[]> harmlessInduced = session.lastLogits(harmlessVal, induce);
        List<float[]> harmlessAblated = zero ? harmlessBase : session.lastLogits(harmlessVal, ablate);
        progress.advance(1);
        return CandidateScoring.score(candidate, refusalTokenIds, harmfulAblated, harmlessInduced, harmlessBase, harmlessAblated);
    }

    static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    private static boolean isZero(float[] r) {
        for (float x : r) if (x != 0f) return false;
        return true;
    }
}
