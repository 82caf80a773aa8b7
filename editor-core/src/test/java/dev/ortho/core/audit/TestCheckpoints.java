package dev.ortho.core.audit;

import dev.ortho.core.edit.ElementCodec;
import dev.ortho.formats.checkpoint.Checkpoint;
import dev.ortho.formats.checkpoint.TensorRef;
import dev.ortho.formats.safetensors.DType;
import dev.ortho.formats.safetensors.FloatConversions;
import dev.ortho.formats.safetensors.SafetensorsWriter;
import dev.ortho.formats.safetensors.TensorLayout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/** Tiny checkpoints read whole into doubles, changed by a test, and written back as one file. */
final class TestCheckpoints {

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort S = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    record T(String name, DType dtype, long[] shape, double[] values) {
        T with(double[] v) { return new T(name, dtype, shape, v); }

        T as(DType t) { return new T(name, t, shape, values); }

        int rows() { return (int) shape[0]; }

        int cols() { return (int) shape[1]; }
    }

    private TestCheckpoints() {}

    static Map<String, T> read(Path dir) {
        Map<String, T> out = new LinkedHashMap<>();
        try (Checkpoint c = Checkpoint.open(dir)) {
            for (TensorRef r : c.tensors()) {
                int n = Math.toIntExact(r.info().elementCount());
                double[] v = new double[n];
                ElementCodec.of(r.info().dtype()).decode(r.data(), 0, v, n);
                out.put(r.info().name(), new T(r.info().name(), r.info().dtype(), r.info().shapeArray(), v));
            }
        }
        return out;
    }

    /** Writes {@code tensors} as {@code dir/model.safetensors} with the config.json of {@code like}. */
    static Path write(Path dir, Collection<T> tensors, Path like) {
        try {
            Files.createDirectories(dir);
            Files.copy(like.resolve("config.json"), dir.resolve("config.json"));
            var layout = tensors.stream().map(t -> new TensorLayout(t.name(), t.dtype(), Arrays.stream(t.shape()).boxed().toList())).toList();
            try (SafetensorsWriter w = SafetensorsWriter.create(dir.resolve("model.safetensors"), Map.of("format", "pt"), layout);
                 Arena arena = Arena.ofConfined()) {
                for (T t : tensors) {
                    MemorySegment seg = arena.allocate((long) t.values().length * t.dtype().byteSize());
                    for (int i = 0; i < t.values().length; i++) {
                        double x = t.values()[i];
                        switch (t.dtype()) {
                            case F32 -> seg.setAtIndex(F, i, (float) x);
                            case BF16 -> seg.setAtIndex(S, i, FloatConversions.doubleToBf16(x));
                            case F16 -> seg.setAtIndex(S, i, FloatConversions.doubleToF16(x));
                            default -> throw new IllegalArgumentException(t.dtype().name());
                        }
                    }
                    w.write(seg);
                }
                w.finish();
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
