package dev.ortho.cli;

import dev.ortho.core.direction.DirectionFiles;
import dev.ortho.core.direction.RefusalDirection;
import dev.ortho.core.runtime.Intervention;
import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.config.ModelConfig;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** {@code --ablate DIRECTION} or {@code --add DIRECTION --layer L --coef C}: an inference-time intervention. */
final class InterventionOptions {

    @Option(names = "--ablate", paramLabel = "FILE[:TENSOR]",
            description = "Directional ablation x - (x.r)r on every layer input, attention output and MLP output.")
    String ablate;

    @Option(names = "--postnorm", description = "With --ablate on Gemma2-style blocks: ablate after the post-norms.")
    boolean postnorm;

    @Option(names = "--add", paramLabel = "FILE[:TENSOR]", description = "Activation addition: COEF * r at the input of --layer, r as stored in the file (not normalized: the paper adds the raw difference of means).")
    String add;

    @Option(names = "--layer", paramLabel = "L", description = "Layer whose input receives --add.")
    Integer layer;

    @Option(names = "--coef", paramLabel = "C", defaultValue = "1.0", description = "Coefficient of --add (default ${DEFAULT-VALUE}).")
    double coef;

    boolean any() { return ablate != null || add != null; }

    Intervention build(ModelConfig c) {
        if (ablate != null && add != null) throw new InvalidInputException("--ablate and --add cannot be combined");
        if (add == null && layer != null) throw new InvalidInputException("--layer needs --add");
        if (ablate != null) {
            RefusalDirection d = RefusalDirection.of(DirectionFiles.read(ablate), c.hiddenSize(), c.numLayers());
            List<float[]> rows = new ArrayList<>();
            for (double[] r : d.unitPerLayer()) rows.add(toFloat(r));
            return new Intervention.Ablate(rows, postnorm);
        }
        if (add != null) {
            if (layer == null) throw new InvalidInputException("--add needs --layer");
            if (layer < 0 || layer >= c.numLayers()) {
                throw new InvalidInputException("--layer " + layer + " is outside 0.." + (c.numLayers() - 1));
            }
            // Validated like any direction (shape, finite, non-zero), then used as stored: the same
            // semantics as ortho eval --add and the paper's activation addition.
            dev.ortho.core.direction.RawTensor raw = DirectionFiles.read(add);
            RefusalDirection.of(raw, c.hiddenSize(), c.numLayers());
            int hidden = c.hiddenSize();
            int row = raw.values().length == hidden ? 0 : layer;
            double[] r = java.util.Arrays.copyOfRange(raw.values(), row * hidden, row * hidden + hidden);
            return Intervention.actAdd(toFloat(r), layer, coef);
        }
        return Intervention.none();
    }

    static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }
}
