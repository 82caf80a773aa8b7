package dev.ortho.core.provenance;

import java.util.List;

/**
 * The direction an edit used, complete enough to redo or verify it without the direction file.
 *
 * @param file          the direction file as given
 * @param tensor        the tensor inside it, if it had names
 * @param sha256        hash of the direction file
 * @param storedDtype   element type in the file
 * @param shape         shape in the file
 * @param perLayer      whether each layer has its own direction
 * @param originalNorms norm of each stored vector before normalization
 * @param renormalized  whether the stored values were divided by their norm (not when already unit)
 * @param unit          the unit vectors used, one per layer or a single one
 */
public record DirectionRecord(String file, String tensor, String sha256, String storedDtype, List<Long> shape,
                              boolean perLayer, List<Double> originalNorms, boolean renormalized,
                              List<double[]> unit) {}
