package dev.ortho.core.runtime;

import java.util.List;

/**
 * What to do to the residual stream during a forward pass. Directions are given in the model's
 * hidden size; the runtime feeds them to the graph as inputs, so changing a direction needs no
 * new graph.
 */
public sealed interface Intervention {

    /** The plain model. */
    record None() implements Intervention {}

    /**
     * Directional ablation {@code x ← x − (x·r̂) r̂} on every layer input, every attention output and
     * every MLP output. {@code directions} holds one direction for all layers or one per layer; each
     * is normalized to unit length (a direction already unit to 1e-6 is used as given, bit for bit).
     *
     * @param afterPostNorms Gemma2-style blocks: ablate after the post-attention / post-feedforward
     *                       norms (what is really added to the residual) instead of the module
     *                       outputs; ignored by architectures without such norms
     */
    record Ablate(List<float[]> directions, boolean afterPostNorms) implements Intervention {
        public Ablate {
            if (directions.isEmpty()) throw RuntimeFailure.badRequest("ablation needs at least one direction");
            directions = List.copyOf(directions);
        }
    }

    /** Activation addition: {@code coef · r} added to the input of layer {@code layer} at every position. */
    record ActAdd(float[] direction, int layer, double coef) implements Intervention {}

    static Intervention none() { return new None(); }

    static Intervention ablate(float[] direction) { return new Ablate(List.of(direction), false); }

    static Intervention actAdd(float[] direction, int layer, double coef) { return new ActAdd(direction, layer, coef); }
}
