package dev.ortho.formats;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.safetensors.SafetensorsFile;
import dev.ortho.formats.safetensors.SafetensorsHeader;
import dev.ortho.formats.safetensors.TensorInfo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Coverage-guided fuzzing of the safetensors header parser and of whole files. The only
 * acceptable failure is {@link InvalidInputException}; anything else (a NullPointerException, an
 * ArithmeticException, an OutOfMemoryError from a length taken on trust) is a finding. Accepted
 * headers must satisfy the format's invariants.
 *
 * <p>In the normal build these run briefly in fuzzing mode (see the {@code fuzz} executions in
 * the pom); {@code bench/fuzz.sh} runs them for longer.
 */
class SafetensorsFuzzTest {

    private static final Path FILE = Path.of("fuzz.safetensors");
    private static Path scratch;

    /** Data section length the fuzzed headers are checked against (the seeds describe exactly 64 bytes). */
    private static final long DATA_LENGTH = 64;

    @FuzzTest(maxDuration = "10s")
    void headerJson(byte[] json) {
        SafetensorsHeader h;
        try {
            h = SafetensorsHeader.parse(FILE, json, DATA_LENGTH);
        } catch (InvalidInputException expected) {
            assertNotNull(expected.getMessage());
            return;
        }
        checkInvariants(h.tensors(), DATA_LENGTH);
    }

    @FuzzTest(maxDuration = "10s")
    void wholeFile(byte[] bytes) throws IOException {
        if (scratch == null) scratch = Files.createTempFile("ortho-fuzz", ".safetensors");
        Files.write(scratch, bytes);
        try (SafetensorsFile f = SafetensorsFile.open(scratch)) {
            checkInvariants(f.header().tensors(), f.header().dataLength());
            assertEquals(bytes.length, f.header().dataStart() + f.header().dataLength());
        } catch (InvalidInputException expected) {
            assertTrue(expected.getMessage().contains(scratch.getFileName().toString()), "the message names the file");
        } catch (UncheckedIOException e) {
            throw new AssertionError(e);
        }
    }

    /** Ranges inside the data, sized by shape × dtype, not overlapping, covering the data exactly. */
    static void checkInvariants(List<TensorInfo> tensors, long dataLength) {
        List<TensorInfo> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long at = 0;
        for (TensorInfo t : sorted) {
            assertTrue(t.begin() >= at, "overlap at " + t.name());
            assertTrue(t.end() >= t.begin());
            assertTrue(t.end() <= dataLength, "past the data section: " + t.name());
            assertEquals(Math.multiplyExact(t.elementCount(), (long) t.dtype().byteSize()), t.byteLength());
            at = t.end();
        }
    }
}
