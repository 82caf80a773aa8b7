package dev.ortho.core.direction;

import dev.ortho.formats.safetensors.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class CandidateDirectionsFileTest {

    @TempDir Path dir;

    @Test
    void writtenFileIsReadBackByTheDirectionReaderAndKeepsEveryCandidate() {
        double[] v = new double[3 * 2 * 4];
        for (int i = 0; i < v.length; i++) v[i] = Math.scalb(1.0 + i / 7.0, i % 5 - 2);
        CandidateDirections c = new CandidateDirections(3, 2, 4, v);
        Path out = dir.resolve("direction.safetensors");
        CandidateDirectionsFile.write(out, c, -2, 1, Map.of("bypass_score", "-3.0", "position", "ignored"));

        RawTensor r = DirectionFiles.read(out.toString());
        assertEquals("direction", r.name());
        assertArrayEquals(c.direction(-2, 1), r.values(), "raw float64 r, bit for bit");
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            assertArrayEquals(v, f.data(f.tensor("mean_diffs")).toArray(ValueLayout.JAVA_DOUBLE_UNALIGNED));
            Map<String, String> meta = f.header().metadata();
            assertEquals("-2", meta.get("position"), "layout keys win over extra metadata");
            assertEquals("1", meta.get("layer"));
            assertEquals("-3.0", meta.get("bypass_score"));
        }
        // Overwriting works and leaves no temporary files.
        CandidateDirectionsFile.write(out, c, -1, 0, Map.of());
        assertArrayEquals(c.direction(-1, 0), DirectionFiles.read(out.toString()).values());
        assertEquals(1, dir.toFile().list().length);
    }
}
