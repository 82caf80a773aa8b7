package dev.ortho.core.runtime;

import dev.ortho.formats.safetensors.DType;
import dev.ortho.formats.safetensors.SafetensorsFile;
import dev.ortho.formats.safetensors.TensorInfo;
import org.junit.jupiter.api.Assumptions;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/** ../shared/golden and its reference tensors; tests skip with a clear message when it is absent. */
final class GoldenRef implements AutoCloseable {

    static final String[] ARCHS = {"llama", "mistral", "qwen2", "gemma", "gemma2", "phi3", "gpt2", "mixtral"};

    private final SafetensorsFile file;

    private GoldenRef(Path p) { this.file = SafetensorsFile.open(p); }

    static Path dir() {
        String p = System.getProperty("ortho.shared");
        Path g = (p != null ? Path.of(p) : Path.of("..", "shared")).resolve("golden").toAbsolutePath().normalize();
        Assumptions.assumeTrue(Files.isDirectory(g), "skipped: ground-truth data not found at " + g);
        return g;
    }

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
