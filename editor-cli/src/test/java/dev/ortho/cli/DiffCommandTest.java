package dev.ortho.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ortho.fixtures.FixtureArch;
import dev.ortho.fixtures.FixtureCheckpoints;
import dev.ortho.formats.safetensors.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** ortho ablate, then ortho diff of its output against the input: the CLI recovers the direction it was given. */
class DiffCommandTest {

    @TempDir Path tmp;

    @Test
    void diffRecoversWhatAblateRemoved() throws Exception {
        Path model = FixtureCheckpoints.write(tmp.resolve("model"), FixtureArch.QWEN2, DType.BF16, 4, 2);
        Path direction = SineDirection.write(tmp.resolve("d.json"));
        Path out = tmp.resolve("out");
        CliRun a = CliRun.of("ablate", model.toString(), "--direction", direction.toString(), "--out", out.toString());
        assertEquals(0, a.exit(), a.err());

        CliRun r = CliRun.of("diff", model.toString(), out.toString(), "--direction", direction.toString(), "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        for (String field : new String[]{"added", "missing", "changed", "recovered_direction", "cosine", "rank1_tensors", "verdict"}) {
            assertTrue(j.has(field), field + " missing from " + r.out());
        }
        assertTrue(j.get("cosine").asDouble() > 0.9999, r.out());
        assertEquals(FixtureArch.HIDDEN, j.get("recovered_direction").get("unit").size());
        assertEquals("lm_head.weight", j.get("added").get(0).get("name").asText());
        assertEquals(0, j.get("missing").size());
        assertEquals(5, j.get("rank1_tensors").size());
        assertEquals(5, j.get("changed").size());
        assertTrue(j.get("changed").get(0).get("analysis").get("projection").get("projection").asBoolean());
        assertEquals("rank-1 orthogonalization along one direction of 5 of 5 residual writers (layers 0-1), embedding edited,"
                + " lm_head added", j.get("verdict").asText());

        CliRun text = CliRun.of("diff", model.toString(), out.toString(), "--direction", direction.toString(), "--threads", "1");
        assertEquals(0, text.exit(), text.err());
        assertTrue(text.out().contains("Verdict     rank-1 orthogonalization along one direction of 5 of 5"), text.out());
        assertTrue(text.out().matches("(?s).*\\|cos\\| with --direction: (0\\.9999|1\\.0000).*"), text.out());
    }

    @Test
    void badInputExitsTwo() {
        CliRun r = CliRun.of("diff", tmp.resolve("nope").toString(), tmp.resolve("nope2").toString());
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("does not exist"), r.err());
    }
}
