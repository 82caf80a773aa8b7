package dev.ortho.core.edit;

import dev.ortho.formats.InvalidInputException;

import java.util.ArrayList;
import java.util.List;

/**
 * The orthonormal basis Q of the directions an edit removes, one for every layer or one per layer
 * (docs/EDIT-MATH: "Per layer l there is an orthonormal basis Q_l = (q_1..q_k)").
 *
 * <p>The embeddings use layer 0's basis, as a single per-layer direction always did. With k = 1 the
 * vector is exactly the one {@link dev.ortho.core.direction.RefusalDirection} produces, so the plain
 * edit stays bit-exact; with k &gt; 1 the vectors come from {@link #orthonormalize}.
 *
 * @param hidden   vector length
 * @param perLayer one entry (a global basis) or one per decoder layer; every entry has the same k
 */
public record EditBasis(int hidden, List<List<double[]>> perLayer) {

    /** A direction whose residual after removing the previous ones is below this fraction of its norm is refused. */
    public static final double DEPENDENT = 1e-6;

    public EditBasis {
        if (perLayer.isEmpty()) throw new IllegalArgumentException("a basis needs at least one layer entry");
        int k = perLayer.getFirst().size();
        List<List<double[]>> copy = new ArrayList<>();
        for (List<double[]> q : perLayer) {
            if (q.size() != k || k == 0) throw new IllegalArgumentException("every layer needs the same k >= 1 vectors");
            for (double[] v : q) if (v.length != hidden) throw new IllegalArgumentException("vector length " + v.length + " != hidden " + hidden);
            copy.add(List.copyOf(q));
        }
        perLayer = List.copyOf(copy);
    }

    /** A global single-vector basis (the vector used as given). */
    public static EditBasis single(double[] unit) {
        return new EditBasis(unit.length, List.of(List.of(unit)));
    }

    /** Number of directions removed. */
    public int k() { return perLayer.getFirst().size(); }

    public boolean isPerLayer() { return perLayer.size() > 1; }

    /** Basis for a decoder layer's writers ({@code layer} &lt; 0: the embeddings, which use layer 0's). */
    public List<double[]> forLayer(int layer) {
        return perLayer.get(isPerLayer() ? Math.max(layer, 0) : 0);
    }

    /** Which layer's basis {@link #forLayer} returns, as recorded in the manifest: -1 for a global basis. */
    public int basisLayer(int layer) {
        return isPerLayer() ? Math.max(layer, 0) : -1;
    }

    /**
     * Modified Gram-Schmidt in float64, in the order given: q_1 = r_1/|r_1|, then each r_j has the
     * components along q_1..q_{j-1} removed one after the other (each coefficient taken from the
     * partially reduced vector) and is normalized.
     *
     * @param what names the directions in the error message (e.g. "--direction")
     * @throws InvalidInputException when a direction is (nearly) in the span of the previous ones
     */
    public static List<double[]> orthonormalize(List<double[]> raw, String what) {
        List<double[]> q = new ArrayList<>();
        for (int j = 0; j < raw.size(); j++) {
            double[] v = raw.get(j).clone();
            double own = norm(v);
            if (!(own > 0)) throw new InvalidInputException(what + " #" + (j + 1) + " is the zero vector");
            for (double[] qi : q) {
                double c = dot(qi, v);
                for (int h = 0; h < v.length; h++) v[h] -= c * qi[h];
            }
            double left = norm(v);
            if (!(left >= DEPENDENT * own)) {
                throw new InvalidInputException(what + " #" + (j + 1) + " lies in the span of the previous ones (residual norm "
                        + left + " of " + own + "); drop it or give an independent direction");
            }
            for (int h = 0; h < v.length; h++) v[h] /= left;
            q.add(v);
        }
        return q;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    static double norm(double[] a) { return Math.sqrt(dot(a, a)); }
}
