package dev.ortho.core.edit;

import dev.ortho.core.provenance.EditedTensor;
import dev.ortho.core.provenance.FileDigest;
import dev.ortho.fixtures.FixtureArch;
import dev.ortho.fixtures.FixtureCheckpoints;
import dev.ortho.formats.safetensors.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A shard with no edited tensor is copied whole and takes its input's digest, but only when its
 * output is provably the input byte for byte; the recorded digests are checked against the bytes.
 */
class UnchangedShardTest {

    private static final EditOptions LAYER0_WRITERS =
            new EditOptions(1.0, LayerSelection.parse("0"), Set.of("attn", "mlp"), TiedPolicy.UNTIE, false, 2);

    @Test
    void untouchedShardsAreCopiedWholeWithTheInputDigest(@TempDir Path tmp) throws Exception {
        Path model = FixtureCheckpoints.write(tmp.resolve("in"), FixtureArch.LLAMA, DType.BF16, 7, 3);
        CheckpointEditor.Result r = ablate(model, tmp);
        Set<String> editedFiles = r.manifest().edits().stream().map(EditedTensor::file).collect(Collectors.toSet());
        int unchanged = 0;
        for (FileDigest out : r.manifest().outputs()) {
            if (!out.path().endsWith(".safetensors")) continue;
            byte[] written = Files.readAllBytes(r.out().resolve(out.path()));
            assertEquals(sha256(written), out.sha256(), out.path() + ": the recorded digest must be the file's");
            if (editedFiles.contains(out.path())) continue;
            unchanged++;
            assertArrayEquals(Files.readAllBytes(model.resolve(out.path())), written, out.path());
            assertEquals(inputDigest(r, out.path()), out.sha256());
        }
        assertTrue(unchanged > 0 && !editedFiles.isEmpty(), "the fixture must have both kinds of shard");
    }

    /**
     * An input whose header is spelled differently from Ortho's encoder (valid JSON with extra
     * spaces): the output re-encodes the header, so its bytes differ and it must not claim the
     * input's digest. Without the header comparison this test fails.
     */
    @Test
    void aRespelledHeaderIsHashedNotAssumed(@TempDir Path tmp) throws Exception {
        Path model = FixtureCheckpoints.write(tmp.resolve("in"), FixtureArch.LLAMA, DType.BF16, 7, 3);
        CheckpointEditor.Result first = ablate(model, tmp.resolve("a"));
        Set<String> editedFiles = first.manifest().edits().stream().map(EditedTensor::file).collect(Collectors.toSet());
        String untouched = first.manifest().outputs().stream().map(FileDigest::path)
                .filter(p -> p.endsWith(".safetensors") && !editedFiles.contains(p)).findFirst().orElseThrow();
        respellHeader(model.resolve(untouched));

        CheckpointEditor.Result r = ablate(model, tmp.resolve("b"));
        FileDigest out = r.manifest().outputs().stream().filter(d -> d.path().equals(untouched)).findFirst().orElseThrow();
        byte[] written = Files.readAllBytes(r.out().resolve(untouched));
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(model.resolve(untouched)), written), "the output re-encodes the header");
        assertEquals(sha256(written), out.sha256());
        assertNotEquals(inputDigest(r, untouched), out.sha256());
    }

    private static CheckpointEditor.Result ablate(Path model, Path tmp) throws Exception {
        Files.createDirectories(tmp);
        Path dir = FixtureEditTest.writeDirection(tmp, FixtureArch.HIDDEN, 3);
        return CheckpointEditor.ablate(new AblationRequest(model, dir.toString(), tmp.resolve("out"), false, LAYER0_WRITERS,
                Optional.empty(), Optional.empty(), List.of("test")), ProgressListener.NONE);
    }

    private static String inputDigest(CheckpointEditor.Result r, String fileName) {
        return r.manifest().inputs().stream().filter(d -> d.path().endsWith("/" + fileName)).findFirst().orElseThrow().sha256();
    }

    /** Rewrites the header JSON with a space after every comma (still valid), padded to 8 bytes. */
    static void respellHeader(Path file) throws Exception {
        byte[] all = Files.readAllBytes(file);
        long n = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String json = new String(all, 8, (int) n, StandardCharsets.UTF_8).strip().replace(",", ", ");
        StringBuilder padded = new StringBuilder(json);
        while ((8 + padded.length()) % 8 != 0) padded.append(' ');
        byte[] header = padded.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(8 + header.length + all.length - 8 - (int) n).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(header.length).put(header).put(all, 8 + (int) n, all.length - 8 - (int) n);
        Files.write(file, out.array());
    }

    private static String sha256(byte[] bytes) {
        return Sha256Hex.of(Sha256Hex.newDigest().digest(bytes));
    }
}
