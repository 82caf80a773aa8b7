package dev.ortho.core.verify;

import java.util.List;

/** All verdicts of one {@code ortho verify}; {@link #ok()} only if every one passed. */
public record VerifyReport(String edited, String original, List<CheckResult> checks) {

    public VerifyReport {
        checks = List.copyOf(checks);
    }

    public boolean ok() { return checks.stream().allMatch(CheckResult::ok); }

    public List<CheckResult> failures() { return checks.stream().filter(c -> !c.ok()).toList(); }
}
