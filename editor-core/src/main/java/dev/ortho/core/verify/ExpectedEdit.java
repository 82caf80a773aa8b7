package dev.ortho.core.verify;

import dev.ortho.core.arch.Role;
import dev.ortho.core.edit.ProjectionLayout;

import java.util.List;

/**
 * What one tensor of an Ortho output must be, re-derived by {@code verify} from the architecture spec and
 * the manifest's parameters (never from the manifest's list of edits): the single place every per-tensor
 * expectation comes from.
 *
 * @param name           output tensor name
 * @param role           its role under the architecture spec
 * @param layer          its decoder layer, -1 for embeddings
 * @param layout         where the hidden dimension sits
 * @param alphaT         effective strength alpha * kernel(component, layer) (docs: EDIT-MATH)
 * @param basis          the orthonormal directions removed, q_1..q_k (k = 1: the unit direction)
 * @param basisLayer     which layer's basis, -1 for a single global one
 * @param normPreserving whether each edited write vector is rescaled to its original norm (not biases)
 */
public record ExpectedEdit(String name, Role role, int layer, ProjectionLayout layout, double alphaT,
                           List<double[]> basis, int basisLayer, boolean normPreserving) {

    public ExpectedEdit {
        basis = List.copyOf(basis);
        if (basis.isEmpty()) throw new IllegalArgumentException("empty basis for " + name);
    }

    /** Whether norm preservation applies to this tensor: biases are never rescaled. */
    public boolean rescaled() {
        return normPreserving && role != Role.WRITER_BIAS;
    }

    public int hidden() { return basis.get(0).length; }
}
