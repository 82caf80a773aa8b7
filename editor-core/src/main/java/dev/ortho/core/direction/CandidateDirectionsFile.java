package dev.ortho.core.direction;

import dev.ortho.formats.OrthoIoException;
import dev.ortho.formats.safetensors.DType;
import dev.ortho.formats.safetensors.SafetensorsWriter;
import dev.ortho.formats.safetensors.TensorLayout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
        List<TensorLayout> layout = List.of(
                new TensorLayout("direction", DType.F64, List.of((long) candidates.hidden())),
                new TensorLayout("mean_diffs", DType.F64,
                        List.of((long) candidates.positions(), (long) candidates.layers(), (long) candidates.hidden())));
        Path dir = file.toAbsolutePath().getParent();
        Path tmp;
        try {
            tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
            Files.delete(tmp); // the writer creates the file itself (CREATE_NEW)
        } catch (IOException e) {
            throw new OrthoIoException(file, "cannot create a temporary file beside the output", e);
        }
        try {
            try (SafetensorsWriter w = SafetensorsWriter.create(tmp, meta, layout, false)) {
                w.write(doubles(direction));
                w.write(doubles(candidates.values()));
                w.finish();
            }
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new OrthoIoException(file, "cannot write the direction file", e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort: the name marks it as ours
            }
        }
    }

    private static ByteBuffer doubles(double[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * Double.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (double d : v) b.putDouble(d);
        return b.flip();
    }
}
