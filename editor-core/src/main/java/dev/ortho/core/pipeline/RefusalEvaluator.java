package dev.ortho.core.pipeline;

import dev.ortho.core.eval.RefusalJudge;
import dev.ortho.core.eval.RefusalScore;
import dev.ortho.core.runtime.Intervention;
import dev.ortho.formats.InvalidInputException;

import java.util.ArrayList;
import java.util.List;

/** Generates greedily and judges refusals (METHOD.md §5.1–5.2) with a model session. */
public final class RefusalEvaluator {

    /** Prompts generated together (the reference generates in batches of 8). */
    public static final int GENERATE_BATCH = 8;

    private final ModelSession session;
    private final RefusalJudge judge;
    private final int[] refusalTokenIds;
    private final int maxNewTokens;

    public RefusalEvaluator(ModelSession session, RefusalJudge judge, int[] refusalTokenIds, int maxNewTokens) {
        if (maxNewTokens < 1) throw new InvalidInputException("--max-new-tokens must be >= 1, got " + maxNewTokens);
        this.session = session;
        this.judge = judge;
        this.refusalTokenIds = refusalTokenIds.clone();
        this.maxNewTokens = maxNewTokens;
    }

    public RefusalEvaluation evaluate(String condition, String promptSet, List<String> instructions,
                                      Intervention intervention, StepProgress progress) {
        if (instructions.isEmpty()) throw new InvalidInputException("no prompts to evaluate in set '" + promptSet + "'");
        List<int[]> ids = session.encode(instructions);
        progress.begin("eval " + promptSet + " (" + condition + ")", ids.size());
        double[] scores = session.refusalScores(ids, intervention, refusalTokenIds);
        List<String> completions = session.complete(ids, maxNewTokens, intervention, GENERATE_BATCH, progress);
        progress.end();
        List<PromptVerdict> verdicts = new ArrayList<>(ids.size());
        for (int i = 0; i < ids.size(); i++)
            verdicts.add(new PromptVerdict(instructions.get(i), completions.get(i), judge.isRefusal(completions.get(i)), scores[i]));
        return new RefusalEvaluation(condition, promptSet, judge.refusalRate(completions), RefusalScore.mean(scores),
                maxNewTokens, verdicts);
    }
}
