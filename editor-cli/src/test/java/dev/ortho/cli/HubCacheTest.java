package dev.ortho.cli;

import dev.ortho.fixtures.FixtureArch;
import dev.ortho.fixtures.FixtureCheckpoints;
import dev.ortho.formats.safetensors.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A model downloaded with huggingface_hub lives in {@code models--ORG--NAME/snapshots/REV/} as
 * symlinks into {@code ../../blobs/}. Ortho edits it like a plain directory and writes plain files;
 * a symlink leading anywhere else is still refused.
 */
class HubCacheTest {

    @TempDir Path tmp;

    @Test
    void editsAHubCacheSnapshot() throws Exception {
        Path plain = FixtureCheckpoints.write(tmp.resolve("plain"), FixtureArch.LLAMA, DType.BF16, 3, 2);
        Path repo = tmp.resolve("hub/models--org--tiny-llama");
        Path blobs = Files.createDirectories(repo.resolve("blobs"));
        Path snapshot = Files.createDirectories(repo.resolve("snapshots/0123abcd"));
        List<Path> files;
        try (Stream<Path> s = Files.list(plain)) {
            files = s.sorted().toList();
        }
        int i = 0;
        for (Path f : files) {
            Path blob = blobs.resolve(String.format("%064x", ++i));
            Files.copy(f, blob);
            Files.createSymbolicLink(snapshot.resolve(f.getFileName()), Path.of("../../blobs").resolve(blob.getFileName()));
        }
        Path direction = tmp.resolve("d.json");
        StringBuilder sb = new StringBuilder("[");
        for (int k = 0; k < FixtureArch.HIDDEN; k++) sb.append(k == 0 ? "" : ",").append(Math.sin(k + 2));
        Files.writeString(direction, sb.append("]").toString());

        Path fromHub = tmp.resolve("from-hub"), fromPlain = tmp.resolve("from-plain");
        CliRun r = CliRun.of("ablate", snapshot.toString(), "--direction", direction.toString(), "--out", fromHub.toString(), "--no-progress");
        assertEquals(0, r.exit(), r.err());
        assertEquals(0, CliRun.of("ablate", plain.toString(), "--direction", direction.toString(), "--out", fromPlain.toString(), "--no-progress").exit());
        for (Path f : files) {
            Path out = fromHub.resolve(f.getFileName());
            assertTrue(Files.isRegularFile(out, LinkOption.NOFOLLOW_LINKS), "written as a plain file: " + out);
            assertArrayEquals(Files.readAllBytes(fromPlain.resolve(f.getFileName())), Files.readAllBytes(out), f.getFileName().toString());
        }
        assertEquals(0, CliRun.of("verify", fromHub.toString(), "--original", snapshot.toString()).exit());
    }

    @Test
    void aSnapshotLinkOutsideTheBlobsIsStillRefused() throws Exception {
        Path plain = FixtureCheckpoints.write(tmp.resolve("plain"), FixtureArch.LLAMA, DType.BF16, 3, 2);
        Path repo = tmp.resolve("hub/models--org--tiny-llama");
        Files.createDirectories(repo.resolve("blobs"));
        Path snapshot = Files.createDirectories(repo.resolve("snapshots/0123abcd"));
        try (Stream<Path> s = Files.list(plain)) {
            for (Path f : s.toList()) Files.createSymbolicLink(snapshot.resolve(f.getFileName()), f); // into plain/, not blobs/
        }
        Path direction = tmp.resolve("d.json");
        Files.writeString(direction, "[" + "0.5,".repeat(FixtureArch.HIDDEN - 1) + "0.5]");
        CliRun r = CliRun.of("ablate", snapshot.toString(), "--direction", direction.toString(), "--out", tmp.resolve("o").toString());
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("outside the checkpoint directory"), r.err());
        assertFalse(Files.exists(tmp.resolve("o")));
    }
}
