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
     * Directional ablation of a span: {@code x ← x − a·Q Qᵀ x} on every layer input, every attention output
     * and every MLP output, with Q the layer's basis and a the site's strength.
     *
     * <p>Each basis holds k &gt;= 1 directions. One direction is normalized to unit length (a direction
     * already unit to 1e-6 is used as given, bit for bit); k &gt; 1 are orthonormalized in float64 by
     * modified Gram-Schmidt in the order given ({@link dev.ortho.core.edit.EditBasis#orthonormalize}), as
     * {@code ortho ablate} does.
     *
     * @param bases          one basis for all layers or one per layer
     * @param alphas         strength per [layer][site], sites 0 = layer input, 1 = attention output,
     *                       2 = MLP output; null: 1 everywhere (the paper's ablation). A recipe's
     *                       table ({@link dev.ortho.core.edit.EditRecipe#activationAlphas}) is the activation
     *                       equivalent of its weight edit: layer kernels become per-site strengths.
     * @param afterPostNorms Gemma2-style blocks: ablate after the post-attention / post-feedforward
     *                       norms (what is really added to the residual) instead of the module
     *                       outputs; ignored by architectures without such norms
     */
    record Ablate(List<List<float[]>> bases, double[][] alphas, boolean afterPostNorms) implements Intervention {
        public Ablate {
            if (bases.isEmpty()) throw RuntimeFailure.badRequest("ablation needs at least one direction");
            int k = bases.getFirst().size();
            for (List<float[]> b : bases) {
                if (b.isEmpty() || b.size() != k) throw RuntimeFailure.badRequest("every layer's ablation needs the same number of directions (k >= 1)");
            }
            bases = bases.stream().map(List::copyOf).toList();
            if (alphas != null) {
                double[][] copy = new double[alphas.length][];
                for (int l = 0; l < alphas.length; l++) {
                    if (alphas[l].length != 3) throw RuntimeFailure.badRequest("ablation strengths need 3 sites per layer");
                    copy[l] = alphas[l].clone();
                }
                alphas = copy;
            }
        }

        /** One direction per entry (one for all layers, or one per layer), strength 1: the paper's ablation. */
        public Ablate(List<float[]> directions, boolean afterPostNorms) {
            this(directions.stream().map(List::of).toList(), null, afterPostNorms);
        }

        /** Number of directions per layer. */
        public int k() { return bases.getFirst().size(); }
    }

    /**
     * A weight-level intervention: the recipe's writer tensors are edited in memory exactly as
     * {@code ortho ablate} edits them (same planner and kernel, stored dtype) and fed to the graph in
     * place of the checkpoint's. Needed for norm preservation, which no activation hook reproduces;
     * needs {@link WeightBinding#FEED}. The runtime computes the edited tensors once per recipe instance.
     */
    record WeightEdit(dev.ortho.core.edit.EditRecipe recipe) implements Intervention {}

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

    /**
     * The runtime equivalent of {@code ortho ablate} with {@code recipe}: a weight-level edit when it
     * preserves norms, else the activation ablation of its bases at its per-site strengths.
     */
    static Intervention of(dev.ortho.core.edit.EditRecipe recipe, int numLayers) {
        if (recipe.normPreserving()) return new WeightEdit(recipe);
        List<List<float[]>> bases = new java.util.ArrayList<>();
        for (List<double[]> q : recipe.basis().perLayer()) {
            List<float[]> f = new java.util.ArrayList<>();
            for (double[] v : q) {
                float[] x = new float[v.length];
                for (int i = 0; i < v.length; i++) x[i] = (float) v[i];
                f.add(x);
            }
            bases.add(f);
        }
        return new Ablate(bases, recipe.activationAlphas(numLayers), false);
    }

    static Intervention actAdd(float[] direction, int layer, double coef) { return new ActAdd(direction, layer, coef); }

    static Intervention perSequence(List<PerSequence.Row> rows) { return new PerSequence(rows); }
}
