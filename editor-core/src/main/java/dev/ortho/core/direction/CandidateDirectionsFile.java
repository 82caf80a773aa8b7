package dev.ortho.core.direction;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a selected direction as safetensors, in the layout of the organism's {@code direction.safetensors}:
 * {@code direction} (F64 [hidden], the raw unnormalized r of the selected candidate, as the paper saves
 * {@code direction.pt}, METHOD.md §1) and {@code mean_diffs} (F64 [n_eoi, L, hidden], every candidate), with
 * the position and layer in the metadata. {@code ortho ablate --direction FILE} reads its {@code direction}.
 */
public final class CandidateDirectionsFile {

    private CandidateDirectionsFile() {}

    /**
     * Writes atomically: into a temporary file beside {@code file}, renamed over it when complete.
     *
     * @param extraMetadata further string metadata (scores, model, prompt counts), written after the layout keys
     */
    public static void write(Path file, CandidateDirections candidates, int position, int layer, Map<String, String> extraMetadata) {
        double[] direction = candidates.direction(position, layer);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("mean_diffs_layout", "[n_eoi (positions -n_eoi..-1), num_layers, d_model]");
        meta.put("site", "resid_pre (input of decoder block l)");
        meta.put("position", Integer.toString(position));
        meta.put("layer", Integer.toString(layer));
        meta.put("n_eoi", Integer.toString(candidates.positions()));
        meta.put("num_layers", Integer.toString(candidates.layers()));
        meta.put("norm", Double.toString(candidates.norm(position, layer)));
        extraMetadata.forEach(meta::putIfAbsent);
        long[] table = {candidates.positions(), candidates.layers(), candidates.hidden()};
        Float64TensorFile.write(file, meta, List.of(
                new Float64TensorFile.Tensor("direction", new long[]{candidates.hidden()}, direction),
                new Float64TensorFile.Tensor("mean_diffs", table, candidates.values())), "direction file");
    }
}
