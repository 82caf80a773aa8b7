package dev.ortho.core.direction;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ortho.formats.InvalidInputException;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Coverage-guided fuzzing of the direction readers that parse foreign binary formats: {@code .npy}
 * headers and data, and the restricted pickle interpreter of {@code .pt} files (the pickle is
 * fuzzed inside a well-formed torch zip, so the interpreter itself is what gets explored). The
 * only acceptable failure is {@link InvalidInputException}; a successful read must give a tensor
 * whose element count matches its shape.
 */
class DirectionReadersFuzzTest {

    private static Path scratch;

    @FuzzTest(maxDuration = "10s")
    void npy(byte[] bytes) {
        RawTensor t;
        try {
            t = NpyReader.read(Path.of("fuzz.npy"), bytes);
        } catch (InvalidInputException expected) {
            return;
        }
        checkShape(t);
    }

    @FuzzTest(maxDuration = "10s")
    void ptPickle(byte[] input) throws IOException {
        if (scratch == null) scratch = Files.createTempFile("ortho-fuzz", ".pt");
        // Layout of a fuzz input: one byte n, then n bytes of storage "data/0", then the pickle.
        int n = input.length == 0 ? 0 : Math.min(input[0] & 0xFF, input.length - 1);
        byte[] storage = java.util.Arrays.copyOfRange(input, Math.min(1, input.length), Math.min(1, input.length) + n);
        byte[] pickle = java.util.Arrays.copyOfRange(input, Math.min(1, input.length) + n, input.length);
        try (OutputStream os = Files.newOutputStream(scratch); ZipOutputStream z = new ZipOutputStream(os)) {
            z.putNextEntry(new ZipEntry("archive/data.pkl"));
            z.write(pickle);
            z.closeEntry();
            z.putNextEntry(new ZipEntry("archive/data/0"));
            z.write(storage);
            z.closeEntry();
        }
        RawTensor t;
        try {
            t = PtReader.read(scratch, null);
        } catch (InvalidInputException expected) {
            return;
        }
        checkShape(t);
    }

    private static void checkShape(RawTensor t) {
        long n = 1;
        for (long d : t.shape()) {
            assertTrue(d >= 0);
            n = Math.multiplyExact(n, d);
        }
        assertEquals(n, t.values().length);
    }
}
