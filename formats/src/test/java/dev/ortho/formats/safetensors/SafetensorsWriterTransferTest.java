package dev.ortho.formats.safetensors;

import dev.ortho.formats.FileDigests;
import dev.ortho.formats.OrthoIoException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** Ranges copied by the operating system land in order, are counted, and are hashed like written bytes. */
class SafetensorsWriterTransferTest {

    @Test
    void transferredAndWrittenBytesInterleaveInOrderAndHashAsWritten(@TempDir Path tmp) throws Exception {
        byte[] source = new byte[(64 << 20) + 12_345]; // more than one 32 MiB mapping window of the hash
        new SplittableRandom(5).nextBytes(source);
        Path src = Files.write(tmp.resolve("src.bin"), source);
        byte[] middle = {1, 2, 3, 4, 5, 6, 7, 8};
        long a = 100_000, b = source.length - a - 7;
        List<TensorLayout> layout = List.of(new TensorLayout("a", DType.U8, List.of(a)),
                new TensorLayout("m", DType.U8, List.of((long) middle.length)),
                new TensorLayout("b", DType.U8, List.of(b)));
        Path out = tmp.resolve("out.safetensors");
        byte[] digest;
        try (FileChannel in = FileChannel.open(src);
             SafetensorsWriter w = SafetensorsWriter.create(out, Map.of(), layout, true)) {
            w.transfer(in, 7, a);
            w.write(MemorySegment.ofArray(middle));
            w.transfer(in, 7 + a, b);
            w.finish();
            digest = w.sha256();
        }
        byte[] written = Files.readAllBytes(out);
        int h = SafetensorsWriter.headerBytes(Map.of(), layout).length;
        assertArrayEquals(java.util.Arrays.copyOfRange(source, 7, (int) (7 + a)), java.util.Arrays.copyOfRange(written, h, (int) (h + a)));
        assertArrayEquals(middle, java.util.Arrays.copyOfRange(written, (int) (h + a), (int) (h + a + 8)));
        assertArrayEquals(java.util.Arrays.copyOfRange(source, (int) (7 + a), source.length),
                java.util.Arrays.copyOfRange(written, (int) (h + a + 8), written.length));
        assertArrayEquals(FileDigests.newSha256().digest(written), digest);
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            assertEquals(3, f.tensors().size());
        }
    }

    @Test
    void aSourceShorterThanDeclaredFailsInsteadOfWritingLess(@TempDir Path tmp) throws Exception {
        Path src = Files.write(tmp.resolve("short.bin"), new byte[100]);
        List<TensorLayout> layout = List.of(new TensorLayout("a", DType.U8, List.of(200L)));
        try (FileChannel in = FileChannel.open(src);
             SafetensorsWriter w = SafetensorsWriter.create(tmp.resolve("o.safetensors"), Map.of(), layout, false)) {
            assertThrows(OrthoIoException.class, () -> w.transfer(in, 0, 200));
            assertThrows(IllegalStateException.class, () -> w.transfer(in, 0, 201)); // more than declared
        }
    }
}
