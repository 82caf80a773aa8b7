package dev.ortho.core.verify;

import java.util.List;

/** All verdicts of one {@code ortho verify}; {@link #ok()} only if none failed. */
public record VerifyReport(String edited, String original, List<CheckResult> checks) {

    public VerifyReport {
        checks = List.copyOf(checks);
    }

    public boolean ok() { return checks.stream().allMatch(CheckResult::ok); }

    public List<CheckResult> failures() { return checks.stream().filter(c -> !c.ok()).toList(); }

    /** Checks that could not be made on this output (e.g. the leftover of an alpha != 1 edit without the original). */
    public List<CheckResult> notApplicable() {
        return checks.stream().filter(c -> c.status() == CheckResult.Status.NOT_APPLICABLE).toList();
    }
}
