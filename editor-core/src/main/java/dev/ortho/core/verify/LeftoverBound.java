package dev.ortho.core.verify;

import dev.ortho.formats.safetensors.DType;

/**
 * How much of r may legitimately remain in an edited vector once it is rounded to its stored type.
 *
 * <p>With y the stored vector, y = x − r(r·x) + δ where δ is the rounding (|δᵢ| ≤ u|yᵢ|, u the unit
 * roundoff of the type), so r·y = (r·x)(1 − r·r) + r·δ and |r·δ| ≤ u Σ|rᵢ||yᵢ|. The first term is
 * zero for an exactly unit r; a direction stored in float32 is unit to about 1e-7, covered by the
 * second term of the bound. An unedited tensor exceeds this by orders of magnitude.
 */
final class LeftoverBound {

    private LeftoverBound() {}

    static double unitRoundoff(DType t) { return t.unitRoundoff(); }

    /**
     * @param sumAbs  Σ|rᵢ||yᵢ|
     * @param sumAbsY Σ|yᵢ|
     * @param rr      r·r
     */
    static double bound(DType t, double sumAbs, double sumAbsY, double rr) {
        return boundWithDefect(t, sumAbs, sumAbsY, Math.abs(1 - rr));
    }

    /**
     * For one direction q_i of a basis: {@code defect} = |1 − q_i·q_i| + Σ_{j≠i} |q_i·q_j|, how far the
     * recorded basis is from orthonormal (each term puts that fraction of a coefficient back along q_i).
     */
    static double boundWithDefect(DType t, double sumAbs, double sumAbsY, double defect) {
        // Twice the rounding bound leaves room for the float64 arithmetic of the edit and of this check.
        return 2 * unitRoundoff(t) * sumAbs + 2 * defect * sumAbsY + Double.MIN_NORMAL;
    }
}
