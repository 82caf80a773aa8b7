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
 * <p>Tensors are handed to ONNX Runtime as direct buffers over the read-only file mapping: no copy
 * at all, pages come from the page cache. F32 tensors are used as they are; BF16 and F16 ones keep
 * their stored type and the graph casts each to float32 right before its use (see
 * {@link ModelGraph}), so compute stays float32 while only one weight at a time is resident in
 * float32. With {@code widen} set they are instead widened once into an off-heap float32 arena owned
 * by this store (4 bytes per element resident for the life of the runtime, no per-forward cast).
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
    private final boolean widen;
    private final Arena arena = Arena.ofShared();
    private final Map<String, Weight> weights = new LinkedHashMap<>();
    private final Map<String, OnnxTensor> tensors = new LinkedHashMap<>();
    private final Map<String, MemorySegment> widened = new LinkedHashMap<>();
    private long convertedBytes;
    private long mappedBytes;

    WeightStore(Checkpoint checkpoint, OrtEnvironment env, long maxChunkBytes, boolean widen) {
        this.widen = widen;
        this.checkpoint = checkpoint;
        this.env = env;
        this.maxChunkBytes = Math.min(maxChunkBytes, Integer.MAX_VALUE - 64L);
    }

    boolean has(String name) { return checkpoint.find(name).isPresent(); }

    /** Whether a graph built so far reads weight {@code name}, whole or as {@link #slice}s. */
    boolean declared(String name) {
        return weights.containsKey(name) || weights.keySet().stream().anyMatch(k -> k.startsWith(name + "[") && k.endsWith("]"));
    }

    long[] shapeOf(String name) { return ref(name).info().shapeArray(); }

    /** The stored dtype of a tensor, or of the tensor a {@link #slice} name is a view of. */
    DType dtypeOf(String name) { return ref(base(name)).info().dtype(); }

    /** Name of the 2-D matrix {@code e} of a 3-D checkpoint tensor (fused experts), as {@link #weight} takes it. */
    static String slice(String name, int e) { return name + "[" + e + "]"; }

    /** The checkpoint tensor a {@link #slice} name views; any other name itself. */
    private static String base(String name) {
        int bracket = name.lastIndexOf('[');
        return bracket > 0 && name.endsWith("]") ? name.substring(0, bracket) : name;
    }

    /**
     * The ONNX element type in which the tensor reaches the graph: FLOAT for F32 and widened tensors,
     * else BFLOAT16 or FLOAT16 (the graph casts it to FLOAT where it is used).
     */
    int elemType(String name) {
        DType dt = dtypeOf(name);
        if (widen || dt == DType.F32) return OnnxGraphBuilder.FLOAT;
        return switch (dt) {
            case BF16 -> OnnxGraphBuilder.BFLOAT16;
            case F16 -> OnnxGraphBuilder.FLOAT16;
            default -> OnnxGraphBuilder.FLOAT;   // refused with a typed error when the tensor is bound
        };
    }

    private TensorRef ref(String name) {
        return checkpoint.find(name).orElseThrow(() -> RuntimeFailure.badTensor(checkpoint.directory(), name,
                "the architecture needs this tensor but the checkpoint has none by that name"));
    }

    /**
     * The tensor's chunks, creating the ONNX tensors on first use. A name {@link #slice}d as
     * {@code name[e]} is matrix e of a 3-D tensor: a view of its bytes (stored or widened), no copy.
     */
    Weight weight(String name) {
        Weight w = weights.get(name);
        if (w != null) return w;
        TensorRef ref = ref(base(name));
        Map<String, OnnxTensor> made = new LinkedHashMap<>();
        w = wrap(name, ref.info(), ref.data(), arena, true, made);
        tensors.putAll(made);
        weights.put(name, w);
        return w;
    }

    /**
     * ONNX tensors for weight {@code name} made from {@code storedBytes} instead of the checkpoint's
     * mapping: the same dtype handling and the same chunk names as {@link #weight}, so they can be fed
     * in place of the originals (a weight-level intervention). The bytes must have the tensor's stored
     * dtype and size; they are bound in the same element type as the original (float32 copies, when the store
     * widens, go into {@code arena}). The caller closes the returned tensors.
     */
    Map<String, OnnxTensor> replacement(String name, DType dtype, long[] shape, MemorySegment storedBytes, Arena arena) {
        TensorInfo info = ref(name).info();
        if (info.dtype() != dtype || !java.util.Arrays.equals(info.shapeArray(), shape)
                || storedBytes.byteSize() != info.byteLength()) {
            throw RuntimeFailure.badTensor(checkpoint.directory(), name, "replacement bytes do not match the tensor's "
                    + info.dtype() + " " + info.shape());
        }
        Map<String, OnnxTensor> made = new LinkedHashMap<>();
        if (weights.containsKey(name)) wrap(name, info, storedBytes, arena, false, made);
        // A 3-D tensor the graph reads expert by expert: the same views of the replacement bytes.
        for (String k : weights.keySet()) {
            if (k.startsWith(name + "[") && k.endsWith("]")) wrap(k, info, storedBytes, arena, false, made);
        }
        return made;
    }

    /**
     * Chunks of weight {@code name} of the tensor {@code info} whose stored bytes are {@code src} (for a slice
     * name, expert e's matrix of it); adds its ONNX tensors to {@code made}.
     */
    private Weight wrap(String name, TensorInfo info, MemorySegment src, Arena into, boolean count, Map<String, OnnxTensor> made) {
        long[] shape = info.shapeArray();
        if (shape.length == 0) throw RuntimeFailure.badTensor(checkpoint.directory(), name, "a scalar cannot be a weight");
        int expert = -1;
        if (!name.equals(info.name())) {
            expert = Integer.parseInt(name.substring(info.name().length() + 1, name.length() - 1));
            if (shape.length != 3 || expert < 0 || expert >= shape[0]) {
                throw RuntimeFailure.badTensor(checkpoint.directory(), info.name(), "expected a 3-D [experts, rows, cols] tensor with an"
                        + " expert " + expert + ", got shape " + java.util.Arrays.toString(shape));
            }
            shape = new long[]{shape[1], shape[2]};
        }
        long rowElems = 1;
        for (int i = 1; i < shape.length; i++) rowElems *= shape[i];
        // Chunks are sized by their float32 width also when bound in a 16-bit type: a chunk is then both
        // a valid direct buffer and the largest float32 cast the graph makes of it at once.
        long rowBytes = rowElems * Float.BYTES;
        long rowsPerChunk = Math.max(1, maxChunkBytes / Math.max(rowBytes, 1));
        if (rowBytes > maxChunkBytes) {
            throw RuntimeFailure.badTensor(checkpoint.directory(), name, "one row is larger than a chunk (" + rowBytes + " bytes)");
        }
        MemorySegment data = bound(info, src, into, count);
        if (expert >= 0) {
            long bytes = shape[0] * shape[1] * (data.byteSize() / info.elementCount());
            data = data.asSlice(expert * bytes, bytes);
        }
        OnnxJavaType type = switch (elemType(name)) {
            case OnnxGraphBuilder.BFLOAT16 -> OnnxJavaType.BFLOAT16;
            case OnnxGraphBuilder.FLOAT16 -> OnnxJavaType.FLOAT16;
            default -> OnnxJavaType.FLOAT;
        };
        long boundRowBytes = rowElems * (type == OnnxJavaType.FLOAT ? Float.BYTES : 2);
        List<Chunk> chunks = new ArrayList<>();
        try {
            for (long r = 0, i = 0; r < shape[0]; r += rowsPerChunk, i++) {
                long rows = Math.min(rowsPerChunk, shape[0] - r);
                long[] s = shape.clone();
                s[0] = rows;
                String cname = rowsPerChunk >= shape[0] ? name : name + "#" + i;
                // A direct buffer: ONNX Runtime reads it in place (no copy, for every element type).
                var buf = data.asSlice(r * boundRowBytes, rows * boundRowBytes).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                made.put(cname, OnnxTensor.createTensor(env, buf, s, type));
                chunks.add(new Chunk(cname, r, s));
            }
        } catch (OrtException e) {
            made.values().forEach(OnnxTensor::close);
            throw RuntimeFailure.engine(checkpoint.directory(), "cannot wrap tensor " + name, e);
        }
        return new Weight(name, shape, List.copyOf(chunks));
    }

    /**
     * F32, and BF16/F16 unless widening: the bytes themselves. Else widened into {@code into}, once per tensor
     * (the expert slices of a 3-D tensor share its float32 copy).
     */
    private MemorySegment bound(TensorInfo info, MemorySegment src, Arena into, boolean count) {
        if (widen && count && (info.dtype() == DType.BF16 || info.dtype() == DType.F16)) {
            return widened.computeIfAbsent(info.name(), k -> widened(info, src, into, true));
        }
        return widened(info, src, into, count);
    }

    private MemorySegment widened(TensorInfo info, MemorySegment src, Arena into, boolean count) {
        long n = info.elementCount();
        switch (info.dtype()) {
            case F32 -> {
                if (count) mappedBytes += src.byteSize();
                return src;
            }
            case BF16, F16 -> {
                if (!widen) {
                    if (count) mappedBytes += src.byteSize();
                    return src;
                }
                MemorySegment dst = into.allocate(n * Float.BYTES, 64);
                widen(src, dst, n, info.dtype() == DType.BF16);
                if (count) convertedBytes += dst.byteSize();
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
