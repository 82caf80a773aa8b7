package dev.ortho.core.audit;

import java.nio.file.Path;
import java.util.Optional;

/**
 * What {@code ortho diff} compares.
 *
 * @param original           the base checkpoint (its config.json gives the architecture and hidden size)
 * @param other              the checkpoint someone edited
 * @param arch               forced architecture name
 * @param archSpec           an extra architecture spec file
 * @param direction          {@code FILE[:TENSOR]} to compare the recovered direction with
 * @param candidates         an {@code ortho extract} candidates file to compare it with
 * @param threads            tensors analyzed at once (results do not depend on it)
 * @param alignedThreshold   a writer whose own top direction has |cos| below this with the common one deviates
 */
public record DiffRequest(Path original, Path other, Optional<String> arch, Optional<Path> archSpec,
                          Optional<String> direction, Optional<Path> candidates, int threads, double alignedThreshold) {

    public static final double DEFAULT_ALIGNED = 0.99;

    public DiffRequest {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1");
        if (!(alignedThreshold >= 0 && alignedThreshold <= 1)) throw new IllegalArgumentException("threshold must be in [0, 1]");
    }
}
