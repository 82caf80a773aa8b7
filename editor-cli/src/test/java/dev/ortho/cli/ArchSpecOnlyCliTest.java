package dev.ortho.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ortho.fixtures.FixtureArch;
import dev.ortho.fixtures.RenamedCheckpoint;
import dev.ortho.formats.safetensors.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An architecture added with a JSON file only: a Llama whose tensors carry other names, under a
 * model_type Ortho does not know, described by renamed_llama.json (editor rules and runtime section).
 * inspect, ablate, logits and compare all work through {@code --arch-spec}; without it each refuses.
 */
class ArchSpecOnlyCliTest {

    @TempDir Path tmp;
    final ObjectMapper json = new ObjectMapper();

    @Test
    void inspectAblateLogitsAndCompareRunFromTheSpecFileAlone() throws Exception {
        Path model = RenamedCheckpoint.renamedLlama(tmp, 7);
        Path original = tmp.resolve("llama-src");
        Path spec = tmp.resolve("renamed_llama.json");
        try (InputStream in = getClass().getResourceAsStream("renamed_llama.json")) {
            Files.write(spec, in.readAllBytes());
        }
        String s = spec.toString();

        // Unknown to the built-ins: every command refuses with exit 2 and says how to describe it.
        CliRun refused = CliRun.of("logits", model.toString(), "--ids", "1,2,3");
        assertEquals(2, refused.exit(), refused.err());
        assertTrue(refused.err().contains("--arch-spec"), refused.err());
        assertEquals(2, CliRun.of("inspect", model.toString()).exit());

        CliRun inspect = CliRun.of("inspect", model.toString(), "--arch-spec", s);
        assertEquals(0, inspect.exit(), inspect.err());
        assertTrue(inspect.out().contains("renamed_llama"), inspect.out());

        // The renamed model computes exactly what the Llama it was made from computes.
        Path a = tmp.resolve("a.safetensors"), b = tmp.resolve("b.safetensors");
        CliRun l1 = CliRun.of("logits", model.toString(), "--ids", "5,17,3,44,9", "--out", a.toString(), "--arch-spec", s);
        assertEquals(0, l1.exit(), l1.err());
        assertEquals(0, CliRun.of("logits", original.toString(), "--ids", "5,17,3,44,9", "--out", b.toString()).exit());
        try (SafetensorsFile fa = SafetensorsFile.open(a); SafetensorsFile fb = SafetensorsFile.open(b)) {
            assertEquals(-1, fa.data(fa.tensor("logits")).mismatch(fb.data(fb.tensor("logits"))), "logits differ from the Llama's");
        }

        // Ablate with the spec, then compare the edit against ablation hooks on the original: equivalent (untied).
        Path dir = tmp.resolve("d.json");
        StringBuilder v = new StringBuilder("[");
        for (int i = 0; i < FixtureArch.HIDDEN; i++) v.append(i == 0 ? "" : ",").append(Math.sin(i + 1.0));
        Files.writeString(dir, v.append("]").toString());
        Path out = tmp.resolve("ortho");
        CliRun ablate = CliRun.of("ablate", model.toString(), "--direction", dir.toString(), "--out", out.toString(), "--arch-spec", s);
        assertEquals(0, ablate.exit(), ablate.out() + ablate.err());
        Path ids = tmp.resolve("ids.txt");
        Files.writeString(ids, "5 17 3 44 9\n60 2 81 33 14 7 70\n");
        CliRun same = CliRun.of("compare", out.toString(), model.toString(), "--ids-file", ids.toString(), "--ablate", dir.toString(),
                "--arch-spec", s, "--json", "--fail-if", "kl_max>1e-6,top1<1");
        assertEquals(0, same.exit(), same.out() + same.err());
        JsonNode m = json.readTree(same.out()).get("metrics");
        assertTrue(m.get("dlogit_max").asDouble() < 1e-4, m.toString());
        // And the edit is a real one: against the unedited model the gate fails.
        CliRun diff = CliRun.of("compare", model.toString(), out.toString(), "--ids-file", ids.toString(), "--arch-spec", s,
                "--fail-if", "kl_max>1e-6");
        assertEquals(1, diff.exit(), diff.out() + diff.err());
    }
}
