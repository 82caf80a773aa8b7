package dev.ortho.core.runtime;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.ortho.formats.checkpoint.Checkpoint;
import dev.ortho.formats.checkpoint.TensorRef;
import dev.ortho.formats.safetensors.DType;
import dev.ortho.formats.safetensors.TensorInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checkpoint tensors as ONNX Runtime initializers, bound by name, never on the Java heap.
 *
 * <p>F32 tensors are handed to ONNX Runtime as direct buffers over the read-only file mapping: no
 * copy at all, pages come from the page cache. BF16 and F16 tensors are widened once into an
 * off-heap float32 arena owned by this store (4 bytes per element resident for the life of the
 * runtime), because every kernel the graph uses computes in float32.
 *
 * <p>A direct ByteBuffer cannot exceed 2 GiB, so a tensor larger than {@code maxChunkBytes} is split
 * along its first dimension into chunks {@code name#0}, {@code name#1} ...; the graph code consumes
 * the chunks (see {@link ModelGraph}) rather than concatenating them, which would copy.
 */
final class WeightStore implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WeightStore.class);

    /** One initializer: a slice of rows [rowStart, rowStart + shape[0]) of the checkpoint tensor. */
    record Chunk(String name, long rowStart, long[] shape) {}

    /** A checkpoint tensor and its chunks. */
    record Weight(String name, long[] shape, List<Chunk> chunks) {
        boolean split() { return chunks.size() > 1; }
        Chunk single() { return chunks.getFirst(); }
    }

    private final Checkpoint checkpoint;
    private final OrtEnvironment env;
    private final long maxChunkBytes;
    private final Arena arena = Arena.ofShared();
    private final Map<String, Weight> weights = new LinkedHashMap<>();
    private final Map<String, OnnxTensor> tensors = new LinkedHashMap<>();
    private final Map<String, MemorySegment> widened = new java.util.HashMap<>();
    private long convertedBytes;
    private long mappedBytes;

    WeightStore(Checkpoint checkpoint, OrtEnvironment env, long maxChunkBytes) {
        this.checkpoint = checkpoint;
        this.env = env;
        this.maxChunkBytes = Math.min(maxChunkBytes, Integer.MAX_VALUE - 64L);
    }

    boolean has(String name) { return checkpoint.find(name).isPresent(); }

    long[] shapeOf(String name) { return ref(name).info().shapeArray(); }

    DType dtypeOf(String name) { return ref(name).info().dtype(); }

    private TensorRef ref(String name) {
        return checkpoint.find(name).orElseThrow(() -> RuntimeFailure.badTensor(checkpoint.directory(), name,
                "the architecture needs this tensor but the checkpoint has none by that name"));
    }

    /** Name of the 2-D matrix {@code e} of a 3-D checkpoint tensor (fused experts), as {@link #weight} takes it. */
    static String slice(String name, int e) { return name + "[" + e + "]"; }

    /**
     * The tensor's chunks, creating the ONNX tensors on first use. A name {@link #slice}d as
     * {@code name[e]} is matrix e of a 3-D tensor: a view of its bytes, no copy.
     */
    Weight weight(String name) {
        Weight w = weights.get(name);
        if (w != null) return w;
        int bracket = name.lastIndexOf('[');
        if (bracket > 0 && name.endsWith("]")) return sliceWeight(name, name.substring(0, bracket),
                Integer.parseInt(name.substring(bracket + 1, name.length() - 1)));
        TensorRef ref = ref(name);
        TensorInfo info = ref.info();
        long[] shape = info.shapeArray();
        if (shape.length == 0) throw RuntimeFailure.badTensor(checkpoint.directory(), name, "a scalar cannot be a weight");
        return chunked(name, shape, float32(ref));
    }

    private Weight sliceWeight(String name, String base, int e) {
        TensorRef ref = ref(base);
        long[] full = ref.info().shapeArray();
        if (full.length != 3 || e < 0 || e >= full[0]) {
            throw RuntimeFailure.badTensor(checkpoint.directory(), base, "expected a 3-D [experts, rows, cols] tensor with an expert "
                    + e + ", got shape " + java.util.Arrays.toString(full));
        }
        long bytes = full[1] * full[2] * Float.BYTES;
        return chunked(name, new long[]{full[1], full[2]}, float32(ref).asSlice(e * bytes, bytes));
    }

    /** The float32 bytes of a tensor, widened at most once (slices of one tensor share them). */
    private MemorySegment float32(TensorRef ref) {
        return widened.computeIfAbsent(ref.info().name(), k -> asFloat32(ref));
    }

    private Weight chunked(String name, long[] shape, MemorySegment f32) {
        long rowElems = 1;
        for (int i = 1; i < shape.length; i++) rowElems *= shape[i];
        long rowBytes = rowElems * Float.BYTES;
        long rowsPerChunk = Math.max(1, maxChunkBytes / Math.max(rowBytes, 1));
        if (rowBytes > maxChunkBytes) {
            throw RuntimeFailure.badTensor(checkpoint.directory(), name, "one row is larger than a chunk (" + rowBytes + " bytes)");
        }
        List<Chunk> chunks = new ArrayList<>();
        try {
            for (long r = 0, i = 0; r < shape[0]; r += rowsPerChunk, i++) {
                long rows = Math.min(rowsPerChunk, shape[0] - r);
                long[] s = shape.clone();
                s[0] = rows;
                String cname = rowsPerChunk >= shape[0] ? name : name + "#" + i;
                var buf = f32.asSlice(r * rowBytes, rows * rowBytes).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                tensors.put(cname, OnnxTensor.createTensor(env, buf, s, OnnxJavaType.FLOAT));
                chunks.add(new Chunk(cname, r, s));
            }
        } catch (OrtException e) {
            throw RuntimeFailure.engine(checkpoint.directory(), "cannot wrap tensor " + name, e);
        }
        Weight w = new Weight(name, shape, List.copyOf(chunks));
        weights.put(name, w);
        return w;
    }

    /** F32: the mapping itself. BF16/F16: widened once into the arena. */
    private MemorySegment asFloat32(TensorRef ref) {
        TensorInfo info = ref.info();
        MemorySegment src = ref.data();
        long n = info.elementCount();
        switch (info.dtype()) {
            case F32 -> {
                mappedBytes += src.byteSize();
                return src;
            }
            case BF16, F16 -> {
                MemorySegment dst = arena.allocate(n * Float.BYTES, 64);
                widen(src, dst, n, info.dtype() == DType.BF16);
                convertedBytes += dst.byteSize();
                return dst;
            }
            default -> throw RuntimeFailure.badTensor(checkpoint.directory(), info.name(),
                    "dtype " + info.dtype() + " is not supported by the runtime (F32, BF16, F16 are)");
        }
    }

    /** Every weight created so far, by graph name (FEED binding passes them with each run). */
    Map<String, OnnxTensor> tensors() { return java.util.Collections.unmodifiableMap(tensors); }

    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int BLOCK = 1 << 16;

    /** BF16/F16 → F32 through two small reused heap blocks (bulk copies; element access per value is slow). */
    private static void widen(MemorySegment src, MemorySegment dst, long n, boolean bf16) {
        short[] in = new short[BLOCK];
        float[] out = new float[BLOCK];
        for (long at = 0; at < n; at += BLOCK) {
            int len = (int) Math.min(BLOCK, n - at);
            MemorySegment.copy(src, LE_SHORT, at * 2, in, 0, len);
            if (bf16) for (int i = 0; i < len; i++) out[i] = Float.intBitsToFloat((in[i] & 0xffff) << 16);
            else for (int i = 0; i < len; i++) out[i] = Float.float16ToFloat(in[i]);
            MemorySegment.copy(out, 0, dst, LE_FLOAT, at * 4, len);
        }
    }

    /** Registers every weight created so far with the session options (INITIALIZER binding). */
    void bind(OrtSession.SessionOptions options) throws OrtException {
        options.addExternalInitializers(new LinkedHashMap<>(tensors));
    }

    /** Bytes of float32 copies made for BF16/F16 tensors (off-heap). */
    long convertedBytes() { return convertedBytes; }

    /** Bytes used straight from the file mapping (F32). */
    long mappedBytes() { return mappedBytes; }

    @Override
    public void close() {
        for (OnnxTensor t : tensors.values()) t.close();
        tensors.clear();
        arena.close();
        LOG.debug("weights released");
    }
}
