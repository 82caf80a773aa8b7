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

    /**
     * A different intervention for each sequence of the batch, so that one run can evaluate several
     * candidate directions (issue 3): row b of the batch gets {@code rows.get(b)}. The graph built for it
     * costs a little more than {@link Ablate} or {@link ActAdd} (every layer adds a per-row vector, zero
     * where a row adds nothing), and the plain graph is not touched. Ablation here is the module-output
     * form of {@link Ablate} ({@code afterPostNorms = false}).
     */
    record PerSequence(List<Row> rows) implements Intervention {
        public PerSequence {
            if (rows.isEmpty()) throw RuntimeFailure.badRequest("a per-sequence intervention needs at least one row");
            rows = List.copyOf(rows);
        }

        /**
         * What one sequence gets.
         *
         * @param ablation      direction ablated as {@link Ablate} does, at every layer (normalized the same
         *                      way), or null for none
         * @param addition      vector added as given to the input of {@code additionLayer} at every
         *                      position (before that layer's ablation, as in a single-candidate graph), or
         *                      null for none
         * @param additionLayer layer of the addition; ignored without one
         */
        public record Row(float[] ablation, float[] addition, int additionLayer) {
            public static Row none() { return new Row(null, null, -1); }

            public static Row ablate(float[] direction) { return new Row(direction, null, -1); }

            public static Row actAdd(float[] direction, int layer, double coef) {
                float[] v = new float[direction.length];
                for (int i = 0; i < v.length; i++) v[i] = (float) (coef * direction[i]);
                return new Row(null, v, layer);
            }
        }
    }

    static Intervention none() { return new None(); }

    static Intervention ablate(float[] direction) { return new Ablate(List.of(direction), false); }

    static Intervention actAdd(float[] direction, int layer, double coef) { return new ActAdd(direction, layer, coef); }

    static Intervention perSequence(List<PerSequence.Row> rows) { return new PerSequence(rows); }
}
