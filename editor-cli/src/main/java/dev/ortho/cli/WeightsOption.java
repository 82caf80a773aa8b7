package dev.ortho.cli;

import dev.ortho.core.runtime.RuntimeOptions;
import picocli.CommandLine.Option;

/** {@code --weights-f32}: the runtime's opt-in float32 arena for BF16/F16 checkpoints (see docs/runtime.md). */
final class WeightsOption {

    static final String DESCRIPTION = "Widen BF16/F16 weights once into a float32 copy held for the whole run:"
            + " faster, but 4 bytes per parameter resident (twice a BF16 checkpoint). By default they run"
            + " from the file in their stored type, cast to float32 one weight at a time.";

    @Option(names = "--weights-f32", description = DESCRIPTION)
    boolean weightsF32;

    RuntimeOptions apply(RuntimeOptions options) { return options.withWeightsF32(weightsF32); }
}
