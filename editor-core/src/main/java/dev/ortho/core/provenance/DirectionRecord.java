package dev.ortho.core.provenance;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;

import java.util.List;

/**
 * The direction(s) an edit used, complete enough to redo or verify it without the direction files.
 * The top-level file fields describe the first {@code --direction}; {@code sources} lists all of them.
 *
 * @param file          the (first) direction file as given
 * @param tensor        the tensor inside it, if it had names
 * @param sha256        hash of the direction file
 * @param storedDtype   element type in the file
 * @param shape         shape in the file
 * @param perLayer      whether each layer has its own basis
 * @param originalNorms norm of each stored vector before normalization (every source, in order)
 * @param renormalized  whether the stored values were divided by their norm (not when already unit)
 * @param unit          the orthonormal vectors used: per layer (or one global entry), the k vectors q_1..q_k.
 *                      Manifests written before edit variants hold one vector per entry; they read as k = 1.
 * @param sources       every {@code --direction}, in the order given (null in old manifests)
 * @param biproject     the candidates file whose harmless means were projected out, or null
 */
public record DirectionRecord(String file, String tensor, String sha256, String storedDtype, List<Long> shape,
                              boolean perLayer, List<Double> originalNorms, boolean renormalized,
                              @JsonDeserialize(using = UnitVectorsDeserializer.class) List<List<double[]>> unit,
                              @JsonInclude(JsonInclude.Include.NON_NULL) List<DirectionSourceRecord> sources,
                              @JsonInclude(JsonInclude.Include.NON_NULL) DirectionSourceRecord biproject) {

    /** The basis of layer {@code layer}'s writers (embeddings: -1, which use layer 0's). */
    public List<double[]> basisFor(int layer) {
        return unit.get(perLayer ? Math.max(layer, 0) : 0);
    }
}
