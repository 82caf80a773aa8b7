package dev.ortho.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ortho.fixtures.FixtureArch;
import dev.ortho.fixtures.FixtureCheckpoints;
import dev.ortho.formats.safetensors.DType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.*;

/** inspect → ablate → verify through the CLI, and verify catching tampering (exit 1). */
class CliWorkflowTest {

    @TempDir Path tmp;
    Path model, direction, out;

    @BeforeEach
    void edit() throws Exception {
        model = FixtureCheckpoints.write(tmp.resolve("model"), FixtureArch.QWEN2, DType.BF16, 4, 2);
        direction = SineDirection.write(tmp.resolve("d.json"));
        out = tmp.resolve("out");
        CliRun r = CliRun.of("ablate", model.toString(), "--direction", direction.toString(), "--out", out.toString(), "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode s = new ObjectMapper().readTree(r.out());
        assertEquals(5, s.get("edited_tensors").asInt()); // the embedding and 2 layers x (o_proj, down_proj)
        assertTrue(s.get("untied").asBoolean());
    }

    @Test
    void inspectReportsArchitectureAndWriters() throws Exception {
        CliRun r = CliRun.of("inspect", model.toString(), "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals("qwen2", j.get("arch").asText());
        assertTrue(j.get("tied").asBoolean());
        assertEquals(2, j.get("shards").size());
        assertEquals(5, j.get("writers").size());
        CliRun human = CliRun.of("inspect", model.toString());
        assertTrue(human.out().contains("Tied head   yes"), human.out());
    }

    @Test
    void verifyPassesOnAnUntouchedOutput() {
        CliRun r = CliRun.of("verify", out.toString(), "--original", model.toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("VERIFIED"), r.out());
    }

    @Test
    void verifyCatchesAFlippedBit() throws Exception {
        Path shard = out.resolve("model-00002-of-00002.safetensors");
        try (FileChannel ch = FileChannel.open(shard, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            long pos = ch.size() - 3;
            ch.read(b, pos);
            b.put(0, (byte) (b.get(0) ^ 0x10)).rewind();
            ch.write(b, pos);
        }
        CliRun r = CliRun.of("verify", out.toString(), "--original", model.toString());
        assertEquals(1, r.exit(), r.out());
        assertTrue(r.out().contains("FAIL hash       model-00002-of-00002.safetensors"), r.out());
    }

    @Test
    void verifyCatchesAShardReplacedByTheOriginal() throws Exception {
        Files.copy(model.resolve("model-00001-of-00002.safetensors"), out.resolve("model-00001-of-00002.safetensors"),
                StandardCopyOption.REPLACE_EXISTING);
        CliRun r = CliRun.of("verify", out.toString());
        assertEquals(1, r.exit(), r.out());
        assertTrue(r.out().contains("FAIL hash       model-00001-of-00002.safetensors"), r.out());
        assertTrue(r.out().contains("not a consistent checkpoint"), "the original lacks the untied head the index lists: " + r.out());
    }

    @Test
    void verifyCatchesUneditedTensorsEvenWithAForgedManifest() throws Exception {
        // Replace the second shard by the original AND forge the manifest's hash: the leftover check still fails.
        Path shard = out.resolve("model-00002-of-00002.safetensors");
        Path m = out.resolve("ortho-manifest.json");
        String before = dev.ortho.core.edit.Sha256Hex.hash(map(shard));
        Files.copy(model.resolve("model-00002-of-00002.safetensors"), shard, StandardCopyOption.REPLACE_EXISTING);
        String after = dev.ortho.core.edit.Sha256Hex.hash(map(shard));
        String s = Files.readString(m).replace(before, after)
                .replace("\"size\" : " + Files.size(out.resolve("model-00002-of-00002.safetensors")), "\"size\" : " + Files.size(shard));
        Files.writeString(m, s);
        CliRun r = CliRun.of("verify", out.toString());
        assertEquals(1, r.exit(), r.out());
        assertTrue(r.out().contains("FAIL leftover"), r.out());
    }

    private static java.lang.foreign.MemorySegment map(Path p) throws Exception {
        try (FileChannel ch = FileChannel.open(p)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), java.lang.foreign.Arena.ofAuto());
        }
    }

    @Test
    void verifyCatchesAnEditedManifest() throws Exception {
        Path m = out.resolve("ortho-manifest.json");
        String s = Files.readString(m);
        JsonNode j = new ObjectMapper().readTree(s);
        String sha = j.get("outputs").get(0).get("sha256").asText();
        Files.writeString(m, s.replace(sha, sha.substring(0, 63) + (sha.endsWith("0") ? "1" : "0")));
        CliRun r = CliRun.of("verify", out.toString());
        assertEquals(1, r.exit(), r.out());
        assertTrue(r.out().contains("but the manifest says"), r.out());
    }

    @Test
    void verifyOfSomethingThatIsNotAnOutputIsBadInput() {
        CliRun r = CliRun.of("verify", model.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("ortho-manifest.json"), r.err());
    }

    @Test
    void forceReplacesAndCleanRemovesStaleTemporaries() throws Exception {
        Path stale = tmp.resolve(".out.ortho-tmp-deadbeef0000");
        Files.createDirectories(stale);
        CliRun c = CliRun.of("clean", tmp.toString());
        assertEquals(0, c.exit(), c.err());
        assertFalse(Files.exists(stale));
        CliRun again = CliRun.of("ablate", model.toString(), "--direction", direction.toString(), "--out", out.toString(),
                "--force", "--alpha", "0.5", "--no-progress");
        assertEquals(0, again.exit(), again.err());
        assertTrue(Files.readString(out.resolve("ortho-manifest.json")).contains("\"alpha\" : 0.5"));
    }

    @Test
    void usageErrorsExitTwo() {
        assertEquals(2, CliRun.of("ablate").exit());
        assertEquals(2, CliRun.of("frobnicate").exit());
        assertEquals(0, CliRun.of("--help").exit());
        assertEquals(0, CliRun.of("--version").exit());
    }
}
