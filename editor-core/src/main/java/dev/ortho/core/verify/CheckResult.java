package dev.ortho.core.verify;

/**
 * One verification verdict.
 *
 * @param kind    files, hash, plan, placement, leftover, reference, identical
 * @param subject the file or tensor checked
 * @param status  passed, failed, or not applicable (a check that cannot be made here, said so rather
 *                than passed silently)
 * @param detail  figures or the reason it failed
 */
public record CheckResult(String kind, String subject, Status status, String detail) {

    public enum Status { PASS, FAIL, NOT_APPLICABLE }

    public CheckResult(String kind, String subject, boolean ok, String detail) {
        this(kind, subject, ok ? Status.PASS : Status.FAIL, detail);
    }

    static CheckResult notApplicable(String kind, String subject, String why) {
        return new CheckResult(kind, subject, Status.NOT_APPLICABLE, why);
    }

    /** Not failed: passed or not applicable. */
    public boolean ok() { return status != Status.FAIL; }
}
