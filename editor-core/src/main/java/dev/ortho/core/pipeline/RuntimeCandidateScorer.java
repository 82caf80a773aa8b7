package dev.ortho.core.pipeline;

import dev.ortho.core.eval.Candidate;
import dev.ortho.core.eval.CandidateScorer;
import dev.ortho.core.eval.CandidateScores;
import dev.ortho.core.eval.CandidateScoring;
import dev.ortho.core.runtime.Intervention;

import java.util.ArrayList;
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
 *
 * <p>{@link #scoreBatch} evaluates up to {@link #batchCapacity} candidates together: all their rows go through
 * runs with a per-sequence intervention, grouped by prompt length (see {@link CandidateBatch}), instead of
 * three runs per candidate each padded to its longest prompt. The scores are the same to float32 rounding.
 */
public final class RuntimeCandidateScorer implements CandidateScorer {

    /**
     * Forward rows per chunk of candidates: the more rows, the better they group by length; each row keeps
     * its last-position logits until the chunk is scored (512 × a 152k vocabulary ≈ 300 MB).
     */
    static final int ROWS_PER_CHUNK = 512;
    /** Sequences per forward run. On CPU a larger batch is no faster per prompt (measured on the organism). */
    static final int ROWS_PER_RUN = 64;

    private final ModelSession session;
    private final List<int[]> harmfulVal;
    private final List<int[]> harmlessVal;
    private final int[] refusalTokenIds;
    private final List<float[]> harmlessBase;
    private final StepProgress progress;
    private List<float[]> harmfulBase; // computed on first need: only zero candidates use it

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

    @Override
    public int batchCapacity() {
        return Math.max(1, ROWS_PER_CHUNK / (harmfulVal.size() + 2 * harmlessVal.size()));
    }

    @Override
    public List<CandidateScores> scoreBatch(List<Candidate> candidates, List<double[]> rawDirections) {
        if (candidates.size() != rawDirections.size())
            throw new IllegalArgumentException(candidates.size() + " candidates, " + rawDirections.size() + " directions");
        List<CandidateScores> out = new ArrayList<>(candidates.size());
        for (int i = 0; i < candidates.size(); i += batchCapacity()) {
            int end = Math.min(candidates.size(), i + batchCapacity());
            out.addAll(scoreChunk(candidates.subList(i, end), rawDirections.subList(i, end)));
        }
        return out;
    }

    private List<CandidateScores> scoreChunk(List<Candidate> candidates, List<double[]> rawDirections) {
        CandidateScores[] out = new CandidateScores[candidates.size()];
        List<Integer> live = new ArrayList<>();
        List<float[]> dirs = new ArrayList<>();
        for (int i = 0; i < out.length; i++) {
            float[] r = toFloat(rawDirections.get(i));
            if (isZero(r)) out[i] = scoreUnchanged(candidates.get(i));
            else {
                live.add(i);
                dirs.add(r);
            }
        }
        if (!live.isEmpty()) {
            CandidateBatch batch = new CandidateBatch(dirs, live.stream().mapToInt(i -> candidates.get(i).layer()).toArray(),
                    harmfulVal, harmlessVal);
            batch.run(session::lastLogitsInOneRun, ROWS_PER_RUN);
            for (int k = 0; k < live.size(); k++) {
                out[live.get(k)] = CandidateScoring.score(candidates.get(live.get(k)), refusalTokenIds,
                        batch.logits(k, CandidateBatch.Slot.HARMFUL_ABLATED), batch.logits(k, CandidateBatch.Slot.HARMLESS_INDUCED),
                        harmlessBase, batch.logits(k, CandidateBatch.Slot.HARMLESS_ABLATED));
            }
        }
        progress.advance(candidates.size());
        return List.of(out);
    }

    /** A zero candidate changes nothing (see the class comment): every score comes from the plain model. */
    private CandidateScores scoreUnchanged(Candidate c) {
        if (harmfulBase == null) harmfulBase = session.lastLogits(harmfulVal, Intervention.none());
        return CandidateScoring.score(c, refusalTokenIds, harmfulBase, harmlessBase, harmlessBase, harmlessBase);
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
