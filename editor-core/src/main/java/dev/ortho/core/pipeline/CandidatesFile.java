package dev.ortho.core.pipeline;

import dev.ortho.core.direction.CandidateDirections;
import dev.ortho.core.direction.DirectionFiles;
import dev.ortho.core.direction.Float64TensorFile;
import dev.ortho.core.direction.RawTensor;
import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.OrthoIoException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The output of {@code ortho extract}: every candidate direction, {@code mean_diffs} F64 [n_eoi, L, hidden]
 * (the paper's {@code mean_diffs.pt}, METHOD.md §1), no direction selected yet. Written atomically, with
 * metadata in insertion order, so the same inputs give the same bytes.
 */
public final class CandidatesFile {

    public static final String TENSOR = "mean_diffs";

    /** The harmless mean ν [n_eoi, L, hidden], F64, which {@code ortho ablate --biproject} reads. */
    public static final String HARMLESS_MEANS = "harmless_means";

    private CandidatesFile() {}

    public static void write(Path file, CandidateDirections c, Map<String, String> metadata) {
        write(file, c, null, metadata);
    }

    /** @param harmlessMeans ν in the layout of {@code mean_diffs}, written as {@link #HARMLESS_MEANS}; null: not written */
    public static void write(Path file, CandidateDirections c, double[] harmlessMeans, Map<String, String> metadata) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("mean_diffs_layout", "[n_eoi (positions -n_eoi..-1), num_layers, d_model]");
        meta.put("site", "resid_pre (input of decoder block l)");
        meta.put("n_eoi", Integer.toString(c.positions()));
        meta.put("num_layers", Integer.toString(c.layers()));
        metadata.forEach(meta::putIfAbsent);
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new OrthoIoException(file, "cannot create a temporary file beside the output", e);
        }
        long[] shape = {c.positions(), c.layers(), c.hidden()};
        List<Float64TensorFile.Tensor> tensors = new java.util.ArrayList<>();
        tensors.add(new Float64TensorFile.Tensor(TENSOR, shape, c.values()));
        if (harmlessMeans != null) tensors.add(new Float64TensorFile.Tensor(HARMLESS_MEANS, shape, harmlessMeans));
        Float64TensorFile.write(file, meta, tensors, "candidates file");
    }

    /** Reads {@code mean_diffs} from a file written by {@link #write} or by {@code ortho select} / the paper's layout. */
    public static CandidateDirections read(Path file, int layers, int hidden) {
        RawTensor t = DirectionFiles.read(file + ":" + TENSOR);
        long[] s = t.shape();
        if (s.length != 3 || s[1] != layers || s[2] != hidden)
            throw new InvalidInputException(file, TENSOR, "candidates have shape " + java.util.Arrays.toString(s)
                    + "; expected [n_eoi, " + layers + ", " + hidden + "] for this model");
        return new CandidateDirections((int) s[0], layers, hidden, t.values());
    }
}
