package dev.ortho.formats.safetensors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** 8-bit float tensors are read with their dtype and size, and copied byte for byte. */
class Fp8DTypeTest {

    @Test
    void f8TensorsRoundTripByteForByte(@TempDir Path tmp) throws Exception {
        assertEquals(1, DType.F8_E4M3.byteSize());
        assertEquals(1, DType.F8_E5M2.byteSize());
        assertFalse(DType.F8_E4M3.editable(), "the float kernel does not compute on F8; block FP8 has its own path");
        List<TensorLayout> layout = List.of(new TensorLayout("a.weight", DType.F8_E4M3, List.of(3L, 5L)),
                new TensorLayout("a.weight_scale_inv", DType.F32, List.of(1L, 1L)),
                new TensorLayout("b.weight", DType.F8_E5M2, List.of(7L)));
        byte[] a = new byte[15], scale = new byte[4], b = new byte[7];
        for (int i = 0; i < a.length; i++) a[i] = (byte) (i * 37 + 1);
        for (int i = 0; i < b.length; i++) b[i] = (byte) (255 - i * 11);
        scale[3] = 0x3f;
        Path first = tmp.resolve("first.safetensors"), second = tmp.resolve("second.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(first, Map.of("format", "pt"), layout)) {
            w.write(MemorySegment.ofArray(a));
            w.write(MemorySegment.ofArray(scale));
            w.write(MemorySegment.ofArray(b));
            w.finish();
        }
        try (SafetensorsFile f = SafetensorsFile.open(first)) {
            TensorInfo ta = f.header().find("a.weight").orElseThrow(), tb = f.header().find("b.weight").orElseThrow();
            assertEquals(DType.F8_E4M3, ta.dtype());
            assertEquals(DType.F8_E5M2, tb.dtype());
            assertArrayEquals(a, f.data(ta).toArray(ValueLayout.JAVA_BYTE));
            assertArrayEquals(b, f.data(tb).toArray(ValueLayout.JAVA_BYTE));
            List<TensorLayout> again = f.tensors().stream().map(t -> new TensorLayout(t.name(), t.dtype(), t.shape())).toList();
            try (SafetensorsWriter w = SafetensorsWriter.create(second, f.header().metadata(), again)) {
                for (TensorInfo t : f.tensors()) w.write(f.data(t));
                w.finish();
            }
        }
        assertArrayEquals(Files.readAllBytes(first), Files.readAllBytes(second));
    }
}
