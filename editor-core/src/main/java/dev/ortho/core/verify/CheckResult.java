package dev.ortho.core.verify;

/**
 * One verification verdict.
 *
 * @param kind    hash, leftover, identical, projection, files
 * @param subject the file or tensor checked
 * @param ok      passed
 * @param detail  figures or the reason it failed
 */
public record CheckResult(String kind, String subject, boolean ok, String detail) {}
