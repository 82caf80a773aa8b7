package dev.ortho.core.edit;

import dev.ortho.core.arch.Role;

import java.util.Set;

/**
 * The mathematics of one edit, independent of how it is applied: which directions are removed at
 * each layer, how strongly at each writer tensor, and whether write vectors keep their norm
 * (EDIT-MATH.md). {@code ortho ablate} writes it into a checkpoint ({@link CheckpointEditor}); the
 * runtime applies it as an intervention (activation ablation, or edited writers fed as graph inputs
 * via {@link EditedWeights}); {@code ortho search} varies it.
 *
 * @param basis          orthonormal directions per layer (or one global basis)
 * @param alpha          global strength (1 removes the component)
 * @param kernels        per-component layer kernels, or null for weight 1 everywhere
 * @param normPreserving every edited write vector keeps its L2 norm (biases excepted)
 * @param layers         decoder layers whose writers are edited
 * @param components     writer kinds edited: embed, attn, mlp, bias
 */
public record EditRecipe(EditBasis basis, double alpha, LayerKernels kernels, boolean normPreserving,
                         LayerSelection layers, Set<String> components) {

    public EditRecipe {
        components = Set.copyOf(components);
    }

    /** The plain paper edit: one basis, alpha everywhere, every writer. */
    public static EditRecipe plain(EditBasis basis) {
        return new EditRecipe(basis, 1.0, null, false, LayerSelection.ALL, Set.copyOf(EditOptions.ALL_COMPONENTS));
    }

    /**
     * α_t of a writer tensor: alpha times its component's kernel weight at its layer. Embeddings get
     * alpha; a writer bias follows its writer's component (o_proj bias: attn, down_proj bias: mlp).
     */
    public double alphaFor(Role role, String tensorName, int layer) {
        String c = writerComponent(role, tensorName);
        if (kernels == null || c.equals("embed")) return alpha;
        return alpha * kernels.weight(c, layer);
    }

    /** Whether a tensor of this role has its write vectors' norms preserved (biases never do). */
    public boolean normPreservingFor(Role role) {
        return normPreserving && role != Role.WRITER_BIAS;
    }

    /**
     * The component whose kernel applies: embed, attn or mlp. For a bias it is read from its name,
     * since every bias has the one role WRITER_BIAS: names with attn/attention/o_proj/self_attn are
     * attention biases, the rest MLP biases.
     */
    public static String writerComponent(Role role, String tensorName) {
        if (role != Role.WRITER_BIAS) return role.component();
        String n = tensorName.toLowerCase(java.util.Locale.ROOT);
        return n.contains("attn") || n.contains("attention") || n.contains("o_proj") ? "attn" : "mlp";
    }

    /**
     * The activation equivalent's strengths, [layer][site] with sites 0 = the layer's input (only layer
     * 0's is non-zero: the embeddings' ablation), 1 = the attention output, 2 = the MLP output.
     * Editing every writer with α_t equals ablating every writer's output with α_t, biases included.
     */
    public double[][] activationAlphas(int numLayers) {
        double[][] a = new double[numLayers][3];
        if (numLayers > 0 && components.contains("embed")) a[0][0] = alpha;
        for (int l = 0; l < numLayers; l++) {
            if (!layers.includes(l)) continue;
            if (components.contains("attn")) a[l][1] = alphaFor(Role.ATTN_OUT, "", l);
            if (components.contains("mlp")) a[l][2] = alphaFor(Role.MLP_OUT, "", l);
        }
        return a;
    }
}
