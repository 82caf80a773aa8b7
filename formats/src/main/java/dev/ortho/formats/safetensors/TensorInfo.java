package dev.ortho.formats.safetensors;

import java.util.Arrays;
import java.util.List;

/**
 * One header entry of a safetensors file: name, element type, shape, and the byte range
 * {@code [begin, end)} relative to the start of the data section.
 *
 * @param name  tensor name as written in the header
 * @param dtype element type
 * @param shape dimensions, outermost first; empty for a scalar
 * @param begin first byte, relative to the data section
 * @param end   one past the last byte, relative to the data section
 */
public record TensorInfo(String name, DType dtype, List<Long> shape, long begin, long end) {

    public TensorInfo {
        shape = List.copyOf(shape);
    }

    public static TensorInfo of(String name, DType dtype, long[] shape, long begin, long end) {
        return new TensorInfo(name, dtype, Arrays.stream(shape).boxed().toList(), begin, end);
    }

    /** Number of elements (1 for a scalar). The header validator guarantees no overflow. */
    public long elementCount() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** Length in bytes of the data range. */
    public long byteLength() { return end - begin; }

    public int rank() { return shape.size(); }

    public long dim(int i) { return shape.get(i); }

    public long[] shapeArray() { return shape.stream().mapToLong(Long::longValue).toArray(); }
}
