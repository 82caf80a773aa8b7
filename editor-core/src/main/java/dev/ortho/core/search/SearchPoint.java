package dev.ortho.core.search;

import dev.ortho.core.edit.DirectionRequest;
import dev.ortho.core.edit.EditBasis;
import dev.ortho.core.edit.EditOptions;
import dev.ortho.core.edit.EditRecipe;
import dev.ortho.core.edit.LayerKernel;
import dev.ortho.core.edit.LayerKernels;
import dev.ortho.core.edit.LayerSelection;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One edit the search tries, in the terms of {@code ortho ablate} (EDIT-MATH.md): where the directions come from,
 * how many, whether they are biprojected and norm-preserving, whether the embedding is edited, and the per-component
 * layer kernels. Every point maps to exact {@code ortho ablate} arguments ({@link #ablateArguments}).
 *
 * @param position       post-instruction position of the first direction (−n_eoi..−1)
 * @param directionIndex fractional layer of the candidates (Heretic's direction index): the candidates of
 *                       ⌊i⌋ and ⌊i⌋+1 interpolated and renormalized
 * @param directions     k: the span of the candidates at the same index and the k positions p, p−1, … (wrapping
 *                       within −n_eoi..−1) is removed
 * @param biproject      each layer's direction orthogonalized against that layer's harmless mean
 * @param normPreserving write vectors keep their norms (a weight-level intervention)
 * @param embed          the embeddings are edited too (with strength 1)
 * @param attn           kernel of the attention writers
 * @param mlp            kernel of the MLP writers
 */
public record SearchPoint(int position, double directionIndex, int directions, boolean biproject, boolean normPreserving,
                          boolean embed, LayerKernel attn, LayerKernel mlp) {

    public SearchPoint {
        if (position >= 0) throw new IllegalArgumentException("position must be negative: " + position);
        if (directions < 1) throw new IllegalArgumentException("at least one direction: " + directions);
    }

    /** The positions of the k directions: p, p−1, … wrapping around within −n_eoi..−1. */
    public List<Integer> positions(int nEoi) {
        if (directions > nEoi) throw new IllegalArgumentException(directions + " directions but only " + nEoi + " positions");
        List<Integer> out = new ArrayList<>();
        int start = -position - 1;                       // 0 for −1
        for (int j = 0; j < directions; j++) out.add(-1 - ((start + j) % nEoi));
        return out;
    }

    /** The directions as {@code ortho ablate} reads them from a candidates file. */
    public DirectionRequest request(String candidates, int nEoi) {
        List<String> dirs = new ArrayList<>(), idx = new ArrayList<>();
        for (int p : positions(nEoi)) {
            dirs.add(candidates);
            idx.add(Double.toString(directionIndex) + "@" + p);
        }
        return new DirectionRequest(dirs, idx, biproject ? candidates : null);
    }

    public LayerKernels kernels() { return new LayerKernels(attn, mlp); }

    public Set<String> components() {
        Set<String> c = new LinkedHashSet<>();
        if (embed) c.add("embed");
        c.add("attn");
        c.add("mlp");
        c.add("bias");
        return c;
    }

    public EditRecipe recipe(EditBasis basis) {
        return new EditRecipe(basis, 1.0, kernels(), normPreserving, LayerSelection.ALL, components());
    }

    /** The arguments of {@code ortho ablate} (after MODEL) that apply exactly this edit; doubles printed exactly. */
    public List<String> ablateArguments(String candidates, int nEoi) {
        List<String> a = new ArrayList<>();
        for (int p : positions(nEoi)) {
            a.add("--direction");
            a.add(candidates);
            a.add("--direction-index");
            a.add(directionIndex + "@" + p);
        }
        if (biproject) {
            a.add("--biproject");
            a.add(candidates);
        }
        if (normPreserving) a.add("--norm-preserving");
        a.add("--layer-kernel");
        a.add("attn=" + kernel(attn) + ",mlp=" + kernel(mlp));
        a.add("--components");
        a.add(String.join(",", components()));
        return a;
    }

    /** Same edit as EditOptions for {@code ortho ablate}'s writer. */
    public EditOptions editOptions(EditOptions base) {
        return new EditOptions(1.0, LayerSelection.ALL, components(), base.tiedPolicy(), base.allowApproximate(), base.threads(),
                base.hash(), normPreserving, kernels());
    }

    private static String kernel(LayerKernel k) {
        return k.peak() + ":" + k.max() + ":" + k.min() + ":" + k.distance();
    }

    /** A short line for tables. */
    public String describe() {
        return String.format(Locale.ROOT, "index %.2f@%d, k=%d%s%s%s, attn %.1f:%.2f:%.2f:%.1f, mlp %.1f:%.2f:%.2f:%.1f", directionIndex,
                position, directions, biproject ? ", biprojected" : "", normPreserving ? ", norm-preserving" : "", embed ? ", embedding" : "",
                attn.peak(), attn.max(), attn.min(), attn.distance(), mlp.peak(), mlp.max(), mlp.min(), mlp.distance());
    }
}
