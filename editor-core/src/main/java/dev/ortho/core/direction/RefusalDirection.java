package dev.ortho.core.direction;

import dev.ortho.formats.InvalidInputException;

import java.util.Arrays;

/**
 * The unit direction(s) an edit uses: one for every layer, or one per layer ([L, hidden]).
 *
 * <p>Normalization rule: a vector whose float64 norm is within 1e-6 of 1 is used exactly as stored.
 * It is already unit at its storage precision, and dividing by a norm of 1 ± 1e-8 would only add
 * rounding noise, which would break bit-exact reproduction of edits computed from that vector.
 * Any other vector is divided by its norm in float64; the original norms are always reported.
 *
 * @param hidden        vector length
 * @param unitPerLayer  one row for a single direction, else one per layer
 * @param originalNorms norm of each stored row
 * @param renormalized  whether any row was divided by its norm
 */
public record RefusalDirection(int hidden, double[][] unitPerLayer, double[] originalNorms, boolean renormalized) {

    static final double UNIT_TOLERANCE = 1e-6;

    public boolean perLayer() { return unitPerLayer.length > 1; }

    /** The direction for layer {@code layer}'s writers. */
    public double[] forLayer(int layer) {
        return perLayer() ? unitPerLayer[layer] : unitPerLayer[0];
    }

    /** The direction for the embeddings: layer 0's. */
    public double[] forEmbedding() { return unitPerLayer[0]; }

    public static RefusalDirection of(RawTensor t, int hidden, int numLayers) {
        long[] s = t.shape();
        int rows;
        if (s.length == 1 && s[0] == hidden) rows = 1;
        else if (s.length == 2 && s[1] == hidden && s[0] == numLayers) rows = numLayers;
        else if (s.length == 2 && s[0] == 1 && s[1] == hidden) rows = 1;
        else {
            throw new InvalidInputException(t.source(), t.name(), "direction has shape " + Arrays.toString(s)
                    + "; expected [" + hidden + "] (hidden size) or [" + numLayers + ", " + hidden + "] (one per layer)");
        }
        double[][] unit = new double[rows][];
        double[] norms = new double[rows];
        boolean renorm = false;
        for (int l = 0; l < rows; l++) {
            double[] v = Arrays.copyOfRange(t.values(), l * hidden, (l + 1) * hidden);
            double sum = 0;
            for (int i = 0; i < hidden; i++) {
                if (!Double.isFinite(v[i])) {
                    throw new InvalidInputException(t.source(), t.name(), "direction element " + (rows > 1 ? "[" + l + "][" + i + "]" : "[" + i + "]")
                            + " is " + v[i] + "; a direction must be finite");
                }
                sum += v[i] * v[i];
            }
            double norm = Math.sqrt(sum);
            if (!(norm > 1e-30)) {
                throw new InvalidInputException(t.source(), t.name(), "direction" + (rows > 1 ? " of layer " + l : "")
                        + " is the zero vector (norm " + norm + "); it has no direction to remove");
            }
            norms[l] = norm;
            if (Math.abs(norm - 1) > UNIT_TOLERANCE) {
                for (int i = 0; i < hidden; i++) v[i] /= norm;
                renorm = true;
            }
            unit[l] = v;
        }
        return new RefusalDirection(hidden, unit, norms, renorm);
    }
}
