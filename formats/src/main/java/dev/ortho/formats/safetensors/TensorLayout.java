package dev.ortho.formats.safetensors;

import java.util.List;

/** A tensor to be written: name, type and shape; the writer assigns its byte range. */
public record TensorLayout(String name, DType dtype, List<Long> shape) {

    public TensorLayout {
        shape = List.copyOf(shape);
    }

    public long byteLength() {
        long n = dtype.byteSize();
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }
}
