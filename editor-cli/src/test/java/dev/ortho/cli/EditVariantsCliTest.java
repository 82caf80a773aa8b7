package dev.ortho.cli;

import dev.ortho.fixtures.SharedData;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ortho.core.direction.Float64TensorFile;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** ortho ablate's edit variants end to end on the golden Llama: write, verify, and compare with the runtime intervention. */
class EditVariantsCliTest {

    @TempDir Path tmp;
    Path llama, ref, second, ids;
    final ObjectMapper json = new ObjectMapper();

    @BeforeEach
    void golden() throws Exception {
        Path g = SharedData.golden();
        llama = g.resolve("llama");
        ref = llama.resolve("reference.safetensors");
        second = tmp.resolve("second.safetensors");
        Float64TensorFile.write(second, Map.of(), List.of(new Float64TensorFile.Tensor("direction", new long[]{64},
                new SplittableRandom(77).doubles(64, -1, 1).toArray())), "test");
        ids = tmp.resolve("ids.txt");
        Files.writeString(ids, "136, 506, 96, 128, 27, 36, 446\n497,158,367,247,202\n");
    }

    @Test
    void normPreservingSpanWithKernelsWritesVerifiesAndMatchesTheIntervention() throws Exception {
        Path out = tmp.resolve("out");
        CliRun a = CliRun.of("ablate", llama.toString(), "--direction", ref + ":direction", "--direction", second.toString(),
                "--norm-preserving", "--layer-kernel", "attn=1:1.0:0.5:1,mlp=2:0.9:0.4:2", "--out", out.toString(),
                "--threads", "2", "--no-progress", "--json");
        assertEquals(0, a.exit(), a.err());
        JsonNode s = json.readTree(a.out());
        assertEquals(2, s.get("direction_count").asInt());
        assertTrue(s.get("norm_preserving").asBoolean());
        JsonNode m = json.readTree(out.resolve("ortho-manifest.json").toFile());
        assertTrue(m.get("parameters").get("norm_preserving").asBoolean());
        assertEquals(0.4, m.get("parameters").get("layer_kernels").get("mlp").get("min").asDouble());
        assertEquals(2, m.get("direction").get("unit").get(0).size());
        assertTrue(m.get("edits").get(0).has("alpha") && m.get("edits").get(0).has("basis_layer"));

        CliRun v = CliRun.of("verify", out.toString(), "--original", llama.toString());
        assertEquals(0, v.exit(), v.out() + v.err());

        // The original under the weight-level intervention is the written checkpoint.
        CliRun c = CliRun.of("compare", out.toString(), llama.toString(), "--ids-file", ids.toString(),
                "--ablate", ref + ":direction", "--ablate", second.toString(), "--norm-preserving",
                "--layer-kernel", "attn=1:1.0:0.5:1,mlp=2:0.9:0.4:2", "--json", "--fail-if", "dlogit_max>1e-6,top1<1");
        assertEquals(0, c.exit(), c.out() + c.err());
        // Without --norm-preserving the intervention is another model: the same gate fails.
        CliRun hook = CliRun.of("compare", out.toString(), llama.toString(), "--ids-file", ids.toString(),
                "--ablate", ref + ":direction", "--ablate", second.toString(),
                "--layer-kernel", "attn=1:1.0:0.5:1,mlp=2:0.9:0.4:2", "--json", "--fail-if", "dlogit_max>1e-6");
        assertEquals(1, hook.exit(), hook.out() + hook.err());
    }

    @Test
    void spanHookEqualsTheSpanEdit() throws Exception {
        Path out = tmp.resolve("span");
        assertEquals(0, CliRun.of("ablate", llama.toString(), "--direction", ref + ":direction", "--direction", second.toString(),
                "--out", out.toString(), "--no-progress").exit());
        CliRun c = CliRun.of("compare", out.toString(), llama.toString(), "--ids-file", ids.toString(),
                "--ablate", ref + ":direction", "--ablate", second.toString(), "--json", "--fail-if", "dlogit_max>1e-4,top1<1");
        assertEquals(0, c.exit(), c.out() + c.err());
    }

    @Test
    void badVariantInputIsExit2() {
        Path out = tmp.resolve("bad");
        CliRun dep = CliRun.of("ablate", llama.toString(), "--direction", ref + ":direction", "--direction", ref + ":direction",
                "--out", out.toString(), "--no-progress");
        assertEquals(2, dep.exit());
        assertTrue(dep.err().contains("span"), dep.err());
        assertFalse(Files.exists(out), "nothing is written for refused input");
        assertEquals(2, CliRun.of("ablate", llama.toString(), "--direction", ref + ":direction", "--direction", second.toString(),
                "--direction-index", "1", "--out", out.toString(), "--no-progress").exit());
        assertEquals(2, CliRun.of("ablate", llama.toString(), "--direction", ref + ":direction", "--layer-kernel", "attn=1:2",
                "--out", out.toString(), "--no-progress").exit());
        assertEquals(2, CliRun.of("ablate", llama.toString(), "--direction", ref + ":direction", "--biproject", second.toString(),
                "--out", out.toString(), "--no-progress").exit());
        assertEquals(2, CliRun.of("logits", llama.toString(), "--ids", "1,2", "--norm-preserving").exit());
    }
}
