package dev.ortho.core.search;

import dev.ortho.core.edit.DirectionResolver;
import dev.ortho.core.edit.EditRecipe;
import dev.ortho.core.eval.FirstTokenKl;
import dev.ortho.core.eval.RefusalScore;
import dev.ortho.core.numeric.Softmax;
import dev.ortho.core.pipeline.ModelSession;
import dev.ortho.core.runtime.Capture;
import dev.ortho.core.runtime.ForwardResult;
import dev.ortho.core.runtime.Intervention;

import java.util.ArrayList;
import java.util.List;

/**
 * Scores a {@link SearchPoint} on the validation prompts without writing a checkpoint: the point becomes an
 * {@link EditRecipe} and the recipe an intervention of the runtime (activation ablation at per-site strengths, or
 * for norm preservation the edited writers fed as graph inputs), exactly the edit {@code ortho ablate} would write.
 *
 * <p>The original model's first-token logits and its greedy continuation of every harmless prompt (with the logits
 * along it) are computed once; each trial then costs one forward pass over the harmful prompts (last position) and
 * one over the harmless prompts with their continuations (every position).
 */
public final class TrialEvaluator {

    /** Sequences per forward pass when every position's logits are kept. */
    private static final int FULL_BATCH = 8;

    private final ModelSession session;
    private final List<int[]> harmful;
    private final int[] refusalIds;
    private final String candidates;
    private final int nEoi;
    private final List<int[]> harmlessSeqs = new ArrayList<>();
    private final int[] promptLengths;
    private final List<float[]> baseLogits = new ArrayList<>();

    /**
     * @param candidates          candidates file of {@code ortho extract} (mean_diffs and harmless_means)
     * @param continuationTokens  greedy tokens generated after each harmless prompt for the continuation KL (0: none)
     */
    public TrialEvaluator(ModelSession session, List<int[]> harmful, List<int[]> harmless, int[] refusalIds, String candidates,
                          int nEoi, int continuationTokens) {
        this.session = session;
        this.harmful = List.copyOf(harmful);
        this.refusalIds = refusalIds.clone();
        this.candidates = candidates;
        this.nEoi = nEoi;
        this.promptLengths = new int[harmless.size()];
        List<int[]> cont = continuationTokens == 0 ? null
                : session.runtime().generate(harmless, continuationTokens, Intervention.none()).tokens();
        for (int i = 0; i < harmless.size(); i++) {
            int[] p = harmless.get(i);
            int[] c = cont == null ? new int[0] : cont.get(i);
            int[] seq = java.util.Arrays.copyOf(p, p.length + c.length);
            System.arraycopy(c, 0, seq, p.length, c.length);
            harmlessSeqs.add(seq);
            promptLengths[i] = p.length;
        }
        baseLogits.addAll(fullLogits(Intervention.none()));
    }

    /** The recipe a point stands for (reads the candidates file: the same resolution as {@code ortho ablate}). */
    public EditRecipe recipe(SearchPoint p) {
        var cfg = session.runtime().config();
        return p.recipe(DirectionResolver.resolve(p.request(candidates, nEoi), cfg.hiddenSize(), cfg.numLayers()).basis());
    }

    public Intervention intervention(SearchPoint p) {
        return Intervention.of(recipe(p), session.runtime().config().numLayers());
    }

    public TrialObjectives evaluate(SearchPoint p) {
        return evaluate(intervention(p));
    }

    /** The objectives of any intervention (Intervention.none() gives the baseline: refusal score, KL 0). */
    public TrialObjectives evaluate(Intervention iv) {
        double refusal = RefusalScore.mean(session.refusalScores(harmful, iv, refusalIds));
        List<float[]> edited = fullLogits(iv);
        int vocab = session.runtime().config().vocabSize();
        double first = 0, cont = 0;
        long contTokens = 0;
        for (int i = 0; i < edited.size(); i++) {
            int last = promptLengths[i] - 1;
            float[] b = baseLogits.get(i), e = edited.get(i);
            first += FirstTokenKl.of(java.util.Arrays.copyOfRange(b, last * vocab, (last + 1) * vocab),
                    java.util.Arrays.copyOfRange(e, last * vocab, (last + 1) * vocab));
            int rows = b.length / vocab;
            for (int t = last + 1; t < rows; t++) {
                cont += kl(b, e, t * vocab, vocab);
                contTokens++;
            }
        }
        return new TrialObjectives(refusal, first / edited.size(), contTokens == 0 ? 0 : cont / contTokens);
    }

    private List<float[]> fullLogits(Intervention iv) {
        List<float[]> out = new ArrayList<>();
        for (int i = 0; i < harmlessSeqs.size(); i += FULL_BATCH) {
            List<int[]> part = harmlessSeqs.subList(i, Math.min(harmlessSeqs.size(), i + FULL_BATCH));
            ForwardResult r = session.runtime().forward(part, iv, Capture.logits());
            out.addAll(r.logits());
        }
        return out;
    }

    /** KL(P ‖ Q) of one position, from logits, in float64. */
    private static double kl(float[] p, float[] q, int off, int n) {
        double[] lp = Softmax.logProbabilities(p, off, n), lq = Softmax.logProbabilities(q, off, n);
        double s = 0;
        for (int j = 0; j < n; j++) s += Math.exp(lp[j]) * (lp[j] - lq[j]);
        return Math.max(0, s);
    }
}
