package dev.ortho.core.direction;

import dev.ortho.formats.safetensors.DType;
import dev.ortho.formats.safetensors.FloatConversions;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Little-endian float arrays to double, exactly. */
final class ValueDecoding {

    private ValueDecoding() {}

    static double[] decode(ByteBuffer src, int offset, DType dtype, int count) {
        ByteBuffer b = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        double[] out = new double[count];
        for (int i = 0; i < count; i++) {
            out[i] = switch (dtype) {
                case F64 -> b.getDouble(offset + 8 * i);
                case F32 -> b.getFloat(offset + 4 * i);
                case F16 -> FloatConversions.f16ToFloat(b.getShort(offset + 2 * i));
                case BF16 -> FloatConversions.bf16ToFloat(b.getShort(offset + 2 * i));
                default -> throw new IllegalArgumentException(dtype.name());
            };
        }
        return out;
    }
}
