package dev.ortho.cli;

import dev.ortho.core.direction.DirectionFiles;
import dev.ortho.core.direction.RefusalDirection;
import dev.ortho.core.edit.DirectionRequest;
import dev.ortho.core.edit.DirectionResolver;
import dev.ortho.core.edit.EditOptions;
import dev.ortho.core.edit.EditRecipe;
import dev.ortho.core.edit.LayerKernels;
import dev.ortho.core.edit.LayerSelection;
import dev.ortho.core.runtime.Intervention;
import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.config.ModelConfig;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code --ablate DIRECTION} (k times: the span; with the edit variants of {@code ortho ablate}) or
 * {@code --add DIRECTION --layer L --coef C}: an inference-time intervention.
 */
final class InterventionOptions {

    @Option(names = "--ablate", paramLabel = "FILE[:TENSOR]",
            description = {"Directional ablation x - (x.r)r on every layer input, attention output and MLP output.",
                    "Given k times: the span of the k directions (orthonormalized in float64 in the order given)."})
    List<String> ablate;

    @Option(names = "--ablate-index", paramLabel = "LAYER[@POS]",
            description = "As ortho ablate --direction-index: a fractional layer of the candidates file given to --ablate.")
    List<String> ablateIndex;

    @Option(names = "--biproject", paramLabel = "CANDIDATES_FILE",
            description = "As ortho ablate --biproject: per layer, the directions without their harmless-mean component.")
    String biproject;

    @Option(names = "--layer-kernel", paramLabel = "SPEC|FILE",
            description = {"As ortho ablate --layer-kernel: strength per layer at the attention (attn) and MLP (mlp) outputs;",
                    "the embeddings' ablation (layer 0 input) gets --ablate-alpha. The activation equivalent of the weight edit."})
    String layerKernel;

    @Option(names = "--ablate-alpha", paramLabel = "A", defaultValue = "1.0",
            description = "Strength of the ablation, as ortho ablate --alpha (default ${DEFAULT-VALUE}).")
    double ablateAlpha;

    @Option(names = "--norm-preserving",
            description = {"As ortho ablate --norm-preserving. Not an activation hook: the edited writers (the bytes ortho",
                    "ablate would write) are fed to the graph in place of the checkpoint's."})
    boolean normPreserving;

    @Option(names = "--postnorm", description = "With --ablate on Gemma2-style blocks: ablate after the post-norms.")
    boolean postnorm;

    @Option(names = "--add", paramLabel = "FILE[:TENSOR]", description = "Activation addition: COEF * r at the input of --layer, r as stored in the file (not normalized: the paper adds the raw difference of means).")
    String add;

    @Option(names = "--layer", paramLabel = "L", description = "Layer whose input receives --add.")
    Integer layer;

    @Option(names = "--coef", paramLabel = "C", defaultValue = "1.0", description = "Coefficient of --add (default ${DEFAULT-VALUE}).")
    double coef;

    boolean any() { return ablating() || add != null; }

    boolean ablating() { return ablate != null && !ablate.isEmpty(); }

    /** Whether the ablation needs the recipe path (anything beyond the paper's ablation of a span at strength 1). */
    private boolean variant() {
        return (ablateIndex != null && !ablateIndex.isEmpty()) || biproject != null || layerKernel != null
                || normPreserving || ablateAlpha != 1.0;
    }

    Intervention build(ModelConfig c) {
        if (ablating() && add != null) throw new InvalidInputException("--ablate and --add cannot be combined");
        if (add == null && layer != null) throw new InvalidInputException("--layer needs --add");
        if (!ablating() && variant()) {
            throw new InvalidInputException("--ablate-index, --biproject, --layer-kernel, --ablate-alpha and --norm-preserving need --ablate");
        }
        if (ablating() && variant()) {
            if (postnorm) throw new InvalidInputException("--postnorm applies to the plain ablation only");
            if (!Double.isFinite(ablateAlpha)) throw new InvalidInputException("--ablate-alpha must be finite");
            DirectionResolver.Resolved d = DirectionResolver.resolve(new DirectionRequest(ablate, ablateIndex, biproject),
                    c.hiddenSize(), c.numLayers());
            EditRecipe recipe = new EditRecipe(d.basis(), ablateAlpha, layerKernel == null ? null : LayerKernels.parse(layerKernel),
                    normPreserving, LayerSelection.ALL, Set.copyOf(EditOptions.ALL_COMPONENTS));
            return Intervention.of(recipe, c.numLayers());
        }
        if (ablating()) {
            // The paper's ablation of each direction file (global or per layer), k files: their span.
            List<RefusalDirection> ds = new ArrayList<>();
            for (String a : ablate) ds.add(RefusalDirection.of(DirectionFiles.read(a), c.hiddenSize(), c.numLayers()));
            boolean perLayer = ds.stream().anyMatch(RefusalDirection::perLayer);
            List<List<float[]>> bases = new ArrayList<>();
            for (int l = 0; l < (perLayer ? c.numLayers() : 1); l++) {
                List<float[]> q = new ArrayList<>();
                for (RefusalDirection d : ds) q.add(toFloat(d.forLayer(l)));
                bases.add(q);
            }
            return new Intervention.Ablate(bases, null, postnorm);
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
