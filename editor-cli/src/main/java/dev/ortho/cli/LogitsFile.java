package dev.ortho.cli;

import dev.ortho.core.runtime.ForwardResult;
import dev.ortho.formats.safetensors.DType;
import dev.ortho.formats.safetensors.SafetensorsWriter;
import dev.ortho.formats.safetensors.TensorLayout;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What {@code ortho logits --out} saves for one sequence: {@code input_ids} I64 [T], {@code logits} F32
 * [T, vocab] and, when captured, {@code residual.L} F32 [T, hidden] for L = 0..layers (the input of
 * layer L; L = layers is the last layer's output before the final norm).
 */
final class LogitsFile {

    private LogitsFile() {}

    static void write(Path file, int[] ids, ForwardResult r, boolean residuals) {
        long t = ids.length;
        List<TensorLayout> layout = new ArrayList<>();
        layout.add(new TensorLayout("input_ids", DType.I64, List.of(t)));
        layout.add(new TensorLayout("logits", DType.F32, List.of(t, (long) r.vocab())));
        if (residuals) {
            for (int l = 0; l <= r.layers(); l++) layout.add(new TensorLayout("residual." + l, DType.F32, List.of(t, (long) r.hidden())));
        }
        try (SafetensorsWriter w = SafetensorsWriter.create(file, Map.of("format", "pt"), layout)) {
            ByteBuffer idBytes = ByteBuffer.allocate(ids.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            for (int id : ids) idBytes.putLong(id);
            w.write(idBytes.flip());
            w.write(floats(r.logits().getFirst()));
            if (residuals) {
                for (int l = 0; l <= r.layers(); l++) w.write(floats(r.residual(0, l)));
            }
            w.finish();
        }
    }

    private static ByteBuffer floats(float[] v) {
        ByteBuffer buf = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.asFloatBuffer().put(v);
        return buf;
    }
}
