package dev.ortho.core.pipeline;

import dev.ortho.core.verify.Verifier;
import dev.ortho.core.verify.VerifyReport;

import java.nio.file.Path;
import java.util.Optional;

/**
 * How {@code ortho run} verifies the checkpoint it wrote against the original: {@code ortho verify --original}.
 * A seam, so that a test can show that a failed verification fails the run.
 */
@FunctionalInterface
public interface EditVerification {

    EditVerification VERIFY = (edited, original, threads) -> Verifier.verify(edited, Optional.of(original), threads);

    VerifyReport verify(Path edited, Path original, int threads);
}
