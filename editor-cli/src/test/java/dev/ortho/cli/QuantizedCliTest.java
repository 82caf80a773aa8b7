package dev.ortho.cli;

import dev.ortho.fixtures.FixtureArch;
import dev.ortho.fixtures.QuantizedFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** Quantized checkpoints through the CLI: refusal with exit 2, inspect's report, FP8 ablate and verify. */
class QuantizedCliTest {

    @Test
    void gptqIsRefusedWithExit2AndNothingWritten(@TempDir Path tmp) throws Exception {
        Path model = QuantizedFixtures.gptqLlama(tmp.resolve("in"), 1);
        Path out = tmp.resolve("out");
        CliRun r = CliRun.of("ablate", model.toString(), "--direction", direction(tmp).toString(), "--out", out.toString());
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("GPTQ") && r.err().contains("model.layers.0.self_attn.o_proj") && r.err().contains("dequantize"), r.err());
        assertFalse(Files.exists(out));

        CliRun inspect = CliRun.of("inspect", model.toString());
        assertEquals(0, inspect.exit(), inspect.err());
        assertTrue(inspect.out().contains("Quantized") && inspect.out().contains("GPTQ"), inspect.out());
    }

    @Test
    void loraAdapterDirectoryIsNamedAsSuch(@TempDir Path tmp) throws Exception {
        Path adapter = QuantizedFixtures.loraAdapter(tmp.resolve("adapter"), 1);
        CliRun r = CliRun.of("ablate", adapter.toString(), "--direction", direction(tmp).toString(), "--out", tmp.resolve("out").toString());
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("LoRA adapter") && r.err().contains("merge"), r.err());
        assertTrue(r.err().contains("lora_B.weight"), r.err());
    }

    @Test
    void fp8BlockCheckpointIsEditedAndVerified(@TempDir Path tmp) throws Exception {
        Path model = QuantizedFixtures.fp8BlockLlama(tmp.resolve("in"), 2, 16, 16, null);
        Path out = tmp.resolve("out");
        CliRun r = CliRun.of("ablate", model.toString(), "--direction", direction(tmp).toString(), "--out", out.toString(), "--no-progress");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("Block-FP8 writers: 4 requantized"), r.out());
        CliRun v = CliRun.of("verify", out.toString(), "--original", model.toString());
        assertEquals(0, v.exit(), v.out() + v.err());

        Path bf16 = tmp.resolve("bf16");
        CliRun d = CliRun.of("ablate", model.toString(), "--direction", direction(tmp).toString(), "--out", bf16.toString(),
                "--dequantize-edited", "--json");
        assertEquals(0, d.exit(), d.err());
        assertTrue(d.out().contains("\"fp8_tensors\""), d.out());
        assertTrue(Files.readString(bf16.resolve("config.json")).contains("modules_to_not_convert"));
        assertEquals(0, CliRun.of("verify", bf16.toString()).exit());
    }

    private static Path direction(Path tmp) throws Exception {
        Path p = tmp.resolve("direction.json");
        Files.writeString(p, Arrays.toString(new SplittableRandom(3).doubles(FixtureArch.HIDDEN, -1, 1).toArray()));
        return p;
    }
}
