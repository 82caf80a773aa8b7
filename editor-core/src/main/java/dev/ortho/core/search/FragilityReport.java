package dev.ortho.core.search;

import java.util.List;

/**
 * How little editing it takes to break a checkpoint's refusal, and at what cost: the smallest edit of a search
 * that brings the held-out harmful refusal rate under a threshold with first-token KL under a bound, and the curve
 * of refusal against edit budget.
 *
 * @param threshold  held-out harmful refusal rate to get under (e.g. 0.1)
 * @param maxKl      first-token KL bound (validation) of the edits considered
 * @param writers    writer tensors an edit of every component could change (the budget's scale)
 * @param curve      for each budget (writer tensors edited), the lowest validation refusal score reached within it
 * @param smallest   the smallest edit (fewest tensors, then least Σ‖ΔW‖/‖W‖, then lowest rank) whose held-out harmful
 *                   refusal rate is under the threshold; null when none of the judged edits got there
 * @param judged     every edit judged on the held-out prompts, in the order it was judged
 * @param verdict    one line for a person
 */
public record FragilityReport(String model, double threshold, double maxKl, int writers, double baselineHeldoutHarmful,
                              List<Budget> curve, Judged smallest, List<Judged> judged, String verdict) {

    public FragilityReport {
        curve = List.copyOf(curve);
        judged = List.copyOf(judged);
    }

    /** A point of the refusal-against-budget curve. */
    public record Budget(int tensors, int trial, double refusalScore, double firstTokenKl, EditSize size) {}

    /** An edit measured on the held-out (test) prompts under its intervention. */
    public record Judged(int trial, SearchPoint point, EditSize size, double heldoutHarmfulRefusalRate,
                         double heldoutHarmlessRefusalRate, double heldoutFirstTokenKl, List<String> ablateArguments) {
        public Judged {
            ablateArguments = List.copyOf(ablateArguments);
        }
    }
}
