package dev.ortho.core.runtime;

import dev.ortho.formats.safetensors.DType;
import dev.ortho.formats.safetensors.SafetensorsFile;
import dev.ortho.formats.safetensors.TensorInfo;
import dev.ortho.core.golden.Golden;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;

/** Reference tensors of ../shared/golden, read with the formats reader. */
final class GoldenRef implements AutoCloseable {

    private final SafetensorsFile file;

    private GoldenRef(Path p) { this.file = SafetensorsFile.open(p); }

    /** The golden folder; the test is skipped when it is absent (see {@link Golden}). */
    static Path dir() { return Golden.dir(); }

    static GoldenRef open(Path referenceSafetensors) { return new GoldenRef(referenceSafetensors); }

    boolean has(String name) { return file.find(name).isPresent(); }

    float[] floats(String name) {
        TensorInfo t = file.tensor(name);
        if (t.dtype() != DType.F32) throw new IllegalStateException(name + " is " + t.dtype());
        MemorySegment s = file.data(t);
        float[] out = new float[(int) t.elementCount()];
        for (int i = 0; i < out.length; i++) {
            out[i] = s.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i);
        }
        return out;
    }

    int[] ids(String name) {
        TensorInfo t = file.tensor(name);
        MemorySegment s = file.data(t);
        int[] out = new int[(int) t.elementCount()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (int) s.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i);
        }
        return out;
    }

    static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs((double) a[i] - b[i]));
        return m;
    }

    /** max |a-b| / max(1, max |b|): relative to the reference's scale. */
    static double maxRelDiff(float[] a, float[] ref) {
        double scale = 1;
        for (float x : ref) scale = Math.max(scale, Math.abs(x));
        return maxAbsDiff(a, ref) / scale;
    }

    @Override
    public void close() { file.close(); }
}
