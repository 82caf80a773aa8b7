package dev.ortho.core.pipeline;

import dev.ortho.core.arch.ArchChoice;
import dev.ortho.core.eval.RefusalScore;
import dev.ortho.core.runtime.Capture;
import dev.ortho.core.runtime.ForwardResult;
import dev.ortho.core.runtime.Intervention;
import dev.ortho.core.runtime.ModelRuntime;
import dev.ortho.core.runtime.RuntimeOptions;
import dev.ortho.core.text.ChatTemplate;
import dev.ortho.core.text.FormattedPrompt;
import dev.ortho.core.text.PromptFormatter;
import dev.ortho.core.text.TextTokenizer;
import dev.ortho.core.text.Tokenizers;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A chat model ready for the paper's pipeline: the ONNX runtime of its weights, its tokenizer and chat
 * template (single-turn prompts, no system prompt, METHOD.md §6), and batched helpers for what every step
 * needs: last-position logits, refusal scores (§2.1) and greedy completions. The tokenizer and template may
 * come from another directory than the weights (an edited checkpoint evaluated with its original's tokenizer).
 * Not thread-safe, like the runtime.
 */
public final class ModelSession implements AutoCloseable {

    private final ModelRuntime runtime;
    private final TextTokenizer tokenizer;
    private final PromptFormatter formatter;
    private final int batchSize;

    private ModelSession(ModelRuntime runtime, TextTokenizer tokenizer, PromptFormatter formatter, int batchSize) {
        this.runtime = runtime;
        this.tokenizer = tokenizer;
        this.formatter = formatter;
        this.batchSize = batchSize;
    }

    /**
     * @param weightsDir checkpoint run by the runtime
     * @param textDir    directory of tokenizer.json and the chat template (usually the same)
     * @param threads    ONNX Runtime intra-op threads (0: all cores)
     * @param batchSize  prompts per forward pass (the paper uses 32 for scoring)
     */
    public static ModelSession open(Path weightsDir, Path textDir, int threads, int batchSize) {
        return open(weightsDir, textDir, RuntimeOptions.defaults().withThreads(threads), batchSize, ArchChoice.detect());
    }

    /** As above, with the architecture spec chosen by {@code --arch} / {@code --arch-spec}. */
    public static ModelSession open(Path weightsDir, Path textDir, int threads, int batchSize, ArchChoice arch) {
        return open(weightsDir, textDir, RuntimeOptions.defaults().withThreads(threads), batchSize, arch);
    }

    /** With every runtime setting given (threads, the float32 arena). */
    public static ModelSession open(Path weightsDir, Path textDir, RuntimeOptions options, int batchSize) {
        return open(weightsDir, textDir, options, batchSize, ArchChoice.detect());
    }

    /** With every runtime setting given (threads, the float32 arena) and the architecture spec. */
    public static ModelSession open(Path weightsDir, Path textDir, RuntimeOptions options, int batchSize, ArchChoice arch) {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1: " + batchSize);
        TextTokenizer tok = Tokenizers.load(textDir);
        try {
            PromptFormatter f = new PromptFormatter(ChatTemplate.load(textDir), tok);
            ModelRuntime rt = ModelRuntime.open(weightsDir, options, arch);
            return new ModelSession(rt, tok, f, batchSize);
        } catch (RuntimeException e) {
            tok.close();
            throw e;
        }
    }

    public ModelRuntime runtime() { return runtime; }

    public TextTokenizer tokenizer() { return tokenizer; }

    public PromptFormatter formatter() { return formatter; }

    public int batchSize() { return batchSize; }

    /** n_eoi: the number of post-instruction positions (candidate positions −n..−1). */
    public int postInstructionLength() { return formatter.postInstructionLength(); }

    /** Token ids of each instruction's chat prompt. */
    public List<int[]> encode(List<String> instructions) {
        List<int[]> out = new ArrayList<>(instructions.size());
        for (FormattedPrompt p : formatter.formatAll(instructions)) out.add(p.ids());
        return out;
    }

    /** Last-position logits of every prompt, in prompt order. */
    public List<float[]> lastLogits(List<int[]> prompts, Intervention intervention) {
        List<float[]> out = new ArrayList<>(prompts.size());
        for (int i = 0; i < prompts.size(); i += batchSize) {
            List<int[]> batch = prompts.subList(i, Math.min(prompts.size(), i + batchSize));
            out.addAll(runtime.forward(batch, intervention, Capture.lastLogits()).logits());
        }
        return out;
    }

    /**
     * Last-position logits of every prompt from a single forward pass, whatever the batch size: for an
     * intervention that addresses the batch's rows ({@code Intervention.PerSequence}).
     */
    public List<float[]> lastLogitsInOneRun(List<int[]> prompts, Intervention intervention) {
        return runtime.forward(prompts, intervention, Capture.lastLogits()).logits();
    }

    /** One forward pass over a batch, capturing the residual stream at the last {@code lastK} positions. */
    public ForwardResult forwardWithResiduals(List<int[]> batch, int lastK) {
        return runtime.forward(batch, Intervention.none(), new Capture(true, lastK, true));
    }

    /** The refusal score (§2.1) of every prompt under {@code intervention}. */
    public double[] refusalScores(List<int[]> prompts, Intervention intervention, int[] refusalTokenIds) {
        List<float[]> logits = lastLogits(prompts, intervention);
        double[] s = new double[logits.size()];
        for (int i = 0; i < s.length; i++) s[i] = RefusalScore.of(logits.get(i), refusalTokenIds);
        return s;
    }

    /**
     * Greedy completions, decoded with special tokens skipped and surrounding white space stripped (as the
     * reference decodes), in prompt order.
     */
    public List<String> complete(List<int[]> prompts, int maxNewTokens, Intervention intervention, int generateBatch,
                                 StepProgress progress) {
        List<String> out = new ArrayList<>(prompts.size());
        for (int i = 0; i < prompts.size(); i += generateBatch) {
            List<int[]> batch = prompts.subList(i, Math.min(prompts.size(), i + generateBatch));
            for (int[] t : runtime.generate(batch, maxNewTokens, intervention).tokens())
                out.add(tokenizer.decode(t, true).strip());
            progress.advance(batch.size());
        }
        return out;
    }

    @Override
    public void close() {
        try {
            runtime.close();
        } finally {
            tokenizer.close();
        }
    }
}
