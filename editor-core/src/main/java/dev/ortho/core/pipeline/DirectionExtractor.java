package dev.ortho.core.pipeline;

import dev.ortho.core.direction.ActivationMeans;
import dev.ortho.core.direction.MeanDifference;
import dev.ortho.core.eval.RefusalScore;
import dev.ortho.core.runtime.ForwardResult;
import dev.ortho.formats.InvalidInputException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * Candidate directions by difference in means (METHOD.md §1) with the training-set filter of §2.2.
 *
 * <p>One forward pass per batch gives both what the filter needs (the last position's logits, hence the
 * baseline refusal score) and what the mean needs (the residual stream at the input of every layer at the
 * n_eoi post-instruction positions). A prompt that passes the filter is added to its set's float64 sum at
 * once, so activations are never held for more than one batch. Prompts are added in file order, whatever the
 * batch size, so the result is reproducible to the bit ({@link ActivationMeans}).
 */
public final class DirectionExtractor {

    private static final Logger LOG = LoggerFactory.getLogger(DirectionExtractor.class);

    private final ModelSession session;
    private final int[] refusalTokenIds;
    private final boolean filter;

    /** @param filter apply §2.2 (keep harmful prompts scoring > 0, harmless < 0); the paper does */
    public DirectionExtractor(ModelSession session, int[] refusalTokenIds, boolean filter) {
        this.session = session;
        this.refusalTokenIds = refusalTokenIds.clone();
        this.filter = filter;
    }

    public Extraction extract(List<int[]> harmful, List<int[]> harmless, StepProgress progress) {
        if (harmful.isEmpty() || harmless.isEmpty()) throw new InvalidInputException("extract needs harmful and harmless prompts");
        int n = session.postInstructionLength();
        int layers = session.runtime().config().numLayers();
        int hidden = session.runtime().config().hiddenSize();
        for (List<int[]> set : List.of(harmful, harmless))
            for (int[] p : set)
                if (p.length < n) throw new InvalidInputException("a prompt has " + p.length + " tokens, fewer than the " + n + " post-instruction tokens");
        MeanDifference md = new MeanDifference(n, layers, hidden);
        progress.begin("extract", harmful.size() + harmless.size());
        double[] hs = new double[harmful.size()];
        double[] ls = new double[harmless.size()];
        List<Integer> keptH = accumulate(harmful, md.harmful(), hs, true, progress);
        List<Integer> keptL = accumulate(harmless, md.harmless(), ls, false, progress);
        progress.end();
        if (keptH.isEmpty())
            throw new InvalidInputException("no harmful training prompt has a positive baseline refusal score: the model does not"
                    + " refuse them, or the refusal tokens or chat template are wrong");
        if (keptL.isEmpty())
            throw new InvalidInputException("no harmless training prompt has a negative baseline refusal score");
        LOG.info("difference in means over {} harmful and {} harmless prompts (of {} and {})", keptH.size(), keptL.size(),
                harmful.size(), harmless.size());
        return new Extraction(md.candidates(), hs, ls, toArray(keptH), toArray(keptL), md.harmless().mean());
    }

    private List<Integer> accumulate(List<int[]> prompts, ActivationMeans means, double[] scores, boolean harmful,
                                     StepProgress progress) {
        int n = means.positions(), layers = means.layers(), hidden = means.hidden();
        List<Integer> kept = new ArrayList<>();
        int batch = session.batchSize();
        for (int start = 0; start < prompts.size(); start += batch) {
            List<int[]> b = prompts.subList(start, Math.min(prompts.size(), start + batch));
            ForwardResult r = session.forwardWithResiduals(b, n);
            for (int j = 0; j < b.size(); j++) {
                int index = start + j;
                scores[index] = RefusalScore.of(r.logits().get(j), refusalTokenIds);
                boolean keep = !filter || (harmful ? scores[index] > 0 : scores[index] < 0);
                if (!keep) continue;
                float[] acts = new float[n * layers * hidden];
                for (int l = 0; l < layers; l++) {
                    float[] res = r.residual(j, l); // [n, hidden]: positions −n..−1
                    for (int p = 0; p < n; p++) System.arraycopy(res, p * hidden, acts, (p * layers + l) * hidden, hidden);
                }
                means.add(kept.size(), acts);
                kept.add(index);
            }
            progress.advance(b.size());
        }
        return kept;
    }

    private static int[] toArray(List<Integer> l) {
        return l.stream().mapToInt(Integer::intValue).toArray();
    }
}
