package dev.ortho.core.runtime;

import dev.ortho.formats.checkpoint.Checkpoint;
import dev.ortho.formats.checkpoint.TensorRef;
import dev.ortho.formats.safetensors.DType;
import dev.ortho.formats.safetensors.SafetensorsWriter;
import dev.ortho.formats.safetensors.TensorLayout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Manual measurement for docs/runtime.md (not a test): resident memory of a runtime over a BF16
 * checkpoint and over its F32 copy. {@code MemoryProbe BF16_DIR F32_DIR [convert]}.
 */
public final class MemoryProbe {

    public static void main(String[] args) throws Exception {
        Path bf16 = Path.of(args[0]), f32 = Path.of(args[1]);
        if (args.length > 2) toF32(bf16, f32);
        Path dir = Path.of(args.length > 3 ? args[3] : args[0]);
        print("start");
        try (ModelRuntime rt = ModelRuntime.open(dir)) {
            print("opened");
            long t0 = System.nanoTime();
            rt.forward(List.of(new int[]{1, 2, 3, 4, 5, 6, 7, 8}), Intervention.none(), Capture.lastLogits());
            print("first forward (" + (System.nanoTime() - t0) / 1_000_000 + " ms, converted " + rt.convertedWeightBytes() / (1 << 20) + " MiB)");
            t0 = System.nanoTime();
            rt.forward(List.of(new int[]{1, 2, 3, 4, 5, 6, 7, 8}), Intervention.none(), Capture.lastLogits());
            print("second forward (" + (System.nanoTime() - t0) / 1_000_000 + " ms)");
        }
    }

    private static void print(String what) throws Exception {
        long anon = 0, file = 0;
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("RssAnon:")) anon = Long.parseLong(line.replaceAll("\\D", "")) / 1024;
            if (line.startsWith("RssFile:")) file = Long.parseLong(line.replaceAll("\\D", "")) / 1024;
        }
        System.out.printf("%-40s RssAnon %6d MiB  RssFile %6d MiB%n", what, anon, file);
    }

    private static void toF32(Path src, Path dst) throws Exception {
        Files.createDirectories(dst);
        Files.copy(src.resolve("config.json"), dst.resolve("config.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        try (Checkpoint ck = Checkpoint.open(src)) {
            List<TensorLayout> layout = new ArrayList<>();
            for (TensorRef t : ck.tensors()) layout.add(new TensorLayout(t.info().name(), DType.F32, t.info().shape()));
            layout.sort(java.util.Comparator.comparing(TensorLayout::name));
            try (SafetensorsWriter w = SafetensorsWriter.create(dst.resolve("model.safetensors"), Map.of("format", "pt"), layout)) {
                for (TensorLayout l : layout) {
                    MemorySegment s = ck.tensor(l.name()).data();
                    long n = s.byteSize() / 2;
                    try (Arena a = Arena.ofConfined()) {
                        MemorySegment d = a.allocate(n * 4);
                        for (long i = 0; i < n; i++) {
                            short b = s.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i * 2);
                            d.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, Float.intBitsToFloat((b & 0xffff) << 16));
                        }
                        w.write(d);
                    }
                }
                w.finish();
            }
        }
    }
}
