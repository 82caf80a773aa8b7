package dev.ortho.core.eval;

import java.util.List;

/**
 * Turns a runtime's last-position logits into one candidate's selection scores (METHOD.md §2.3). The runtime
 * runs the filtered validation prompts four ways and hands over the logits prompt by prompt, in prompt order:
 *
 * @param harmfulAblated  harmful val, direction ablated at every layer and position → bypass score
 * @param harmlessInduced harmless val, +1·raw r added to resid_pre of the candidate's layer → induce score
 * @param harmlessBase    harmless val, no intervention (the same for every candidate)
 * @param harmlessAblated harmless val, direction ablated → KL(base ‖ ablated) averaged → kl score
 */
public final class CandidateScoring {

    private CandidateScoring() {}

    public static CandidateScores score(Candidate candidate, int[] refusalTokenIds,
                                        List<float[]> harmfulAblated, List<float[]> harmlessInduced,
                                        List<float[]> harmlessBase, List<float[]> harmlessAblated) {
        if (harmlessBase.size() != harmlessAblated.size())
            throw new IllegalArgumentException("harmless base and ablated logits differ in count: "
                    + harmlessBase.size() + " vs " + harmlessAblated.size());
        double[] bypass = new double[harmfulAblated.size()];
        for (int i = 0; i < bypass.length; i++) bypass[i] = RefusalScore.of(harmfulAblated.get(i), refusalTokenIds);
        double[] induce = new double[harmlessInduced.size()];
        for (int i = 0; i < induce.length; i++) induce[i] = RefusalScore.of(harmlessInduced.get(i), refusalTokenIds);
        double[] kl = new double[harmlessBase.size()];
        for (int i = 0; i < kl.length; i++) kl[i] = FirstTokenKl.of(harmlessBase.get(i), harmlessAblated.get(i));
        return new CandidateScores(candidate, RefusalScore.mean(bypass), RefusalScore.mean(induce), FirstTokenKl.mean(kl));
    }
}
