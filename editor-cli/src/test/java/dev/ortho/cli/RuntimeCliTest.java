package dev.ortho.cli;

import dev.ortho.fixtures.SharedData;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ortho.formats.safetensors.SafetensorsFile;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ortho logits and ortho compare on the golden Llama (skipped without ../shared). */
class RuntimeCliTest {

    @TempDir Path tmp;
    Path llama, ref;
    final ObjectMapper json = new ObjectMapper();

    @BeforeEach
    void golden() {
        Path g = SharedData.golden();
        llama = g.resolve("llama");
        ref = llama.resolve("reference.safetensors");
    }

    private static float[] floats(SafetensorsFile f, String name, int count) {
        MemorySegment s = f.data(f.tensor(name));
        float[] out = new float[count];
        for (int i = 0; i < count; i++) out[i] = s.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i);
        return out;
    }

    @Test
    void logitsMatchTheReferenceAndAreSaved() throws Exception {
        Path out = tmp.resolve("l.safetensors");
        CliRun r = CliRun.of("logits", llama.toString(), "--ids", "136,506,96", "--top-k", "3", "--out", out.toString(), "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = json.readTree(r.out());
        assertEquals(3, j.get("positions").size());
        assertEquals(3, j.get("positions").get(0).get("top").size());
        try (SafetensorsFile saved = SafetensorsFile.open(out); SafetensorsFile golden = SafetensorsFile.open(ref)) {
            // Causal: the first 3 positions of sequence 0 (which starts 136, 506, 96) are these.
            float[] a = floats(saved, "logits", 3 * 512), b = floats(golden, "logits.0", 3 * 512);
            double max = 0;
            for (int i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
            assertTrue(max < 1e-4, "saved logits differ by " + max);
            int best = 0;
            for (int i = 1; i < 512; i++) if (b[2 * 512 + i] > b[2 * 512 + best]) best = i;
            assertEquals(best, j.get("positions").get(2).get("top").get(0).get("id").asInt());
        }
        CliRun add = CliRun.of("logits", llama.toString(), "--ids", "136,506,96", "--add", ref + ":direction", "--layer", "1",
                "--coef", "4", "--out", tmp.resolve("a.safetensors").toString());
        assertEquals(0, add.exit(), add.err());
        try (SafetensorsFile saved = SafetensorsFile.open(tmp.resolve("a.safetensors")); SafetensorsFile golden = SafetensorsFile.open(ref)) {
            float[] a = floats(saved, "logits", 3 * 512), b = floats(golden, "actadd.logits.0", 3 * 512);
            for (int i = 0; i < a.length; i++) assertEquals(b[i], a[i], 1e-4);
        }
    }

    /** BF16 weights: run in their stored type by default, widened with --weights-f32; the same logits either way. */
    @Test
    void weightsF32GivesTheSameBf16Logits() throws Exception {
        Path bf16 = llama.resolve("bf16");
        float[][] got = new float[2][];
        for (int k = 0; k < 2; k++) {
            Path out = tmp.resolve("bf16-" + k + ".safetensors");
            CliRun r = k == 0 ? CliRun.of("logits", bf16.toString(), "--ids", "136,506,96", "--out", out.toString())
                    : CliRun.of("logits", bf16.toString(), "--ids", "136,506,96", "--out", out.toString(), "--weights-f32");
            assertEquals(0, r.exit(), r.err());
            try (SafetensorsFile saved = SafetensorsFile.open(out)) {
                got[k] = floats(saved, "logits", 3 * 512);
            }
        }
        try (SafetensorsFile golden = SafetensorsFile.open(bf16.resolve("reference.safetensors"))) {
            float[] b = floats(golden, "logits.0", 3 * 512);
            for (int i = 0; i < b.length; i++) {
                assertEquals(got[1][i], got[0][i], "position/logit " + i);
                assertEquals(b[i], got[0][i], 1e-4 * Math.max(1, Math.abs(b[i])));
            }
        }
    }

    @Test
    void compareSeesOrthogonalizationEqualsAblation() throws Exception {
        Path ids = tmp.resolve("ids.txt");
        Files.writeString(ids, "# golden prompts\n136, 506, 96, 128, 27, 36, 446\n183 297 127 449 316 227 74 322 480 421 508\n\n497,158,367,247,202\n");
        // Weight-orthogonalized Llama versus the original with ablation hooks: equivalent.
        CliRun same = CliRun.of("compare", llama.resolve("ortho").toString(), llama.toString(), "--ids-file", ids.toString(),
                "--ablate", ref + ":direction", "--json", "--fail-if", "kl_max>1e-6,top1<1");
        assertEquals(0, same.exit(), same.out() + same.err());
        JsonNode m = json.readTree(same.out()).get("metrics");
        assertEquals(23, json.readTree(same.out()).get("positions").asInt());
        assertTrue(m.get("dlogit_max").asDouble() < 1e-4);
        assertEquals(1.0, m.get("top1").asDouble());
        // Original versus orthogonalized: a real change, so a strict gate fails with exit 1.
        CliRun diff = CliRun.of("compare", llama.toString(), llama.resolve("ortho").toString(), "--ids-file", ids.toString(),
                "--fail-if", "kl_max>1e-3");
        assertEquals(1, diff.exit(), diff.out() + diff.err());
        assertTrue(diff.out().contains("FAILED: kl_max"), diff.out());
        assertTrue(diff.out().contains("CE"), diff.out());
        // Bad usage: exit 2.
        assertEquals(2, CliRun.of("compare", llama.toString(), llama.toString(), "--ids", "1,2", "--fail-if", "nonsense>1").exit());
        assertEquals(2, CliRun.of("compare", llama.toString(), "--ids", "1,2").exit());
        assertEquals(2, CliRun.of("logits", llama.toString(), "--ids", "1,99999").exit());
    }

    @Test
    void compareTableOnTheOrthoCopyAndNoTokenizer() throws Exception {
        Path ids = tmp.resolve("ids.txt");
        Files.writeString(ids, "136 506 96 128 27 36 446\n497 158 367 247 202\n");
        // The golden Llama and its orthogonalized copy: a real but bounded change; the table has every row.
        CliRun r = CliRun.of("compare", llama.toString(), llama.resolve("ortho").toString(), "--ids-file", ids.toString(),
                "--continuation", "4");
        assertEquals(0, r.exit(), r.out() + r.err());
        for (String row : new String[]{"KL(orig||edited)", "KL first token", "KL continuation", "max|dlogit|", "top-1 agreement", "CE"}) {
            assertTrue(r.out().contains(row), row + " missing in\n" + r.out());
        }
        assertTrue(r.out().contains("sequences 2, positions 20"), r.out()); // 7 + 5 prompt tokens, 4 + 4 generated
        // Text prompts need a tokenizer; the golden checkpoints have none: exit 2 naming the file.
        Path prompts = tmp.resolve("p.txt");
        Files.writeString(prompts, "hello\n");
        CliRun noTok = CliRun.of("compare", llama.toString(), llama.resolve("ortho").toString(), "--prompts", prompts.toString());
        assertEquals(2, noTok.exit(), noTok.err());
        assertTrue(noTok.err().contains("tokenizer.json"), noTok.err());
        assertEquals(2, CliRun.of("generate", llama.toString(), "--prompt", "hello").exit());
    }

    /** A rope type the runtime does not implement stops `logits` with exit 2 and a message naming it. */
    @Test
    void unknownRopeTypeExitsWithTwo() throws Exception {
        Path model = Files.createDirectories(tmp.resolve("su"));
        var cfg = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(llama.resolve("config.json").toFile());
        cfg.set("rope_parameters", json.valueToTree(java.util.Map.of("rope_type", "su", "factor", 2.0, "rope_theta", 10000.0)));
        json.writeValue(model.resolve("config.json").toFile(), cfg);
        Files.createSymbolicLink(model.resolve("model.safetensors"), llama.resolve("model.safetensors"));
        CliRun r = CliRun.of("logits", model.toString(), "--ids", "1,2,3");
        assertEquals(2, r.exit(), r.out() + r.err());
        assertTrue(r.err().contains("rope type 'su'"), r.err());
    }
}
