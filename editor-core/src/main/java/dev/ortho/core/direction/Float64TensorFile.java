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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes small F64 safetensors files (directions, candidate tables) atomically: into a temporary file
 * beside the target, renamed over it when complete, so a reader never sees half a file. Metadata keeps
 * the caller's order, so the same inputs give the same bytes.
 */
public final class Float64TensorFile {

    /** One tensor: its name, shape and values in C order. */
    public record Tensor(String name, long[] shape, double[] values) {}

    private Float64TensorFile() {}

    /**
     * @param what how error messages call the file ("direction file", "candidates file")
     */
    public static void write(Path file, Map<String, String> metadata, List<Tensor> tensors, String what) {
        List<TensorLayout> layout = new ArrayList<>();
        for (Tensor t : tensors) {
            List<Long> shape = new ArrayList<>();
            for (long d : t.shape()) shape.add(d);
            layout.add(new TensorLayout(t.name(), DType.F64, shape));
        }
        Path dir = file.toAbsolutePath().getParent();
        Path tmp;
        try {
            tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
            Files.delete(tmp); // the writer creates the file itself (CREATE_NEW)
        } catch (IOException e) {
            throw new OrthoIoException(file, "cannot create a temporary file beside the output", e);
        }
        try {
            try (SafetensorsWriter w = SafetensorsWriter.create(tmp, metadata, layout, false)) {
                for (Tensor t : tensors) w.write(littleEndian(t.values()));
                w.finish();
            }
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new OrthoIoException(file, "cannot write the " + what, e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort: the name marks it as ours
            }
        }
    }

    private static ByteBuffer littleEndian(double[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * Double.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (double d : v) b.putDouble(d);
        return b.flip();
    }
}
