package dev.ortho.core.pipeline;

import dev.ortho.core.numeric.Softmax;
import dev.ortho.core.runtime.Capture;
import dev.ortho.core.runtime.ForwardResult;
import dev.ortho.core.runtime.Intervention;
import dev.ortho.core.runtime.ModelRuntime;
import dev.ortho.formats.InvalidInputException;

import java.util.ArrayList;
import java.util.List;

/**
 * Cross-entropy on harmless continuations (METHOD.md §5.4, the "on-distribution" set): each harmless prompt in
 * its chat template followed by a completion (the model's own baseline completion), teacher-forced. Only the
 * completion is scored: the last template token predicts the first completion token, the second-to-last
 * completion token the last one. CE = −Σ log p / Σ tokens, accumulated in float64; perplexity = exp(CE).
 *
 * <p>The reference tokenizes template and completion as one string; here the completion is tokenized on its own
 * and appended to the template's ids, which only differs where the two would merge across the boundary (the
 * template ends in a special token or a newline in every supported chat format).
 */
public final class ContinuationLoss {

    /** Sequences per forward pass: each keeps [T, vocab] logits until scored. */
    static final int BATCH = 4;

    /** The loss of one condition. */
    public record Result(double crossEntropy, long tokens) {
        public double perplexity() { return Math.exp(crossEntropy); }
    }

    private ContinuationLoss() {}

    /** Prompt ids followed by each completion's ids; completions that tokenize to nothing are skipped. */
    public static List<Sequence> sequences(ModelSession s, List<String> instructions, List<String> completions) {
        if (instructions.size() != completions.size())
            throw new IllegalArgumentException(instructions.size() + " instructions but " + completions.size() + " completions");
        List<int[]> prompts = s.encode(instructions);
        List<Sequence> out = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            int[] c = s.tokenizer().encode(completions.get(i), false);
            if (c.length == 0) continue;
            int[] p = prompts.get(i);
            int[] all = java.util.Arrays.copyOf(p, p.length + c.length);
            System.arraycopy(c, 0, all, p.length, c.length);
            out.add(new Sequence(all, p.length));
        }
        return out;
    }

    /** A teacher-forced sequence whose tokens from {@code firstScored} on are scored. */
    public record Sequence(int[] ids, int firstScored) {
        public Sequence {
            if (firstScored < 1 || firstScored > ids.length)
                throw new IllegalArgumentException("first scored token " + firstScored + " outside 1.." + ids.length);
            ids = ids.clone();
        }

        @Override public int[] ids() { return ids.clone(); }
    }

    public static Result of(ModelRuntime runtime, List<Sequence> sequences, Intervention intervention) {
        if (sequences.isEmpty()) throw new InvalidInputException("no continuation to score the cross-entropy on");
        double sum = 0;
        long n = 0;
        for (int i = 0; i < sequences.size(); i += BATCH) {
            List<Sequence> part = sequences.subList(i, Math.min(sequences.size(), i + BATCH));
            ForwardResult r = runtime.forward(part.stream().map(Sequence::ids).toList(), intervention, Capture.logits());
            for (int b = 0; b < part.size(); b++) {
                int[] ids = part.get(b).ids();
                float[] logits = r.logits().get(b);
                for (int t = part.get(b).firstScored(); t < ids.length; t++) {
                    int off = (t - 1) * r.vocab();
                    sum -= logits[off + ids[t]] - Softmax.logSumExp(logits, off, r.vocab());
                    n++;
                }
            }
        }
        return new Result(sum / n, n);
    }
}
