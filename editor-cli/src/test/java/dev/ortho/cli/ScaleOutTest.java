package dev.ortho.cli;

import dev.ortho.fixtures.FixtureArch;
import dev.ortho.fixtures.FixtureCheckpoints;
import dev.ortho.formats.safetensors.DType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** Three --shard-group workers plus assemble give the same checkpoint as one run; bad part sets are refused. */
class ScaleOutTest {

    @TempDir Path tmp;
    Path model, direction, parts;

    @BeforeEach
    void workers() throws Exception {
        model = FixtureCheckpoints.write(tmp.resolve("model"), FixtureArch.QWEN2, DType.BF16, 9, 5);
        direction = tmp.resolve("d.json");
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < FixtureArch.HIDDEN; i++) sb.append(i == 0 ? "" : ",").append(Math.cos(i));
        Files.writeString(direction, sb.append("]").toString());
        parts = tmp.resolve("parts");
        for (int i = 0; i < 3; i++) {
            CliRun r = CliRun.of("ablate", model.toString(), "--direction", direction.toString(), "--out", parts.toString(),
                    "--shard-group", i + "/3", "--threads", Integer.toString(i + 1));
            assertEquals(0, r.exit(), r.err());
        }
    }

    @Test
    void assembledEqualsASingleRun() throws Exception {
        CliRun a = CliRun.of("assemble", parts.toString(), "--out", tmp.resolve("assembled").toString());
        assertEquals(0, a.exit(), a.err());
        CliRun s = CliRun.of("ablate", model.toString(), "--direction", direction.toString(), "--out", tmp.resolve("single").toString());
        assertEquals(0, s.exit(), s.err());
        List<String> files;
        try (Stream<Path> l = Files.list(tmp.resolve("single"))) {
            files = l.map(p -> p.getFileName().toString()).sorted().toList();
        }
        try (Stream<Path> l = Files.list(tmp.resolve("assembled"))) {
            assertEquals(files, l.map(p -> p.getFileName().toString()).sorted().toList());
        }
        assertTrue(files.contains("model.safetensors.index.json") && files.size() >= 8, files.toString());
        for (String f : files) {
            if (f.equals("ortho-manifest.json")) continue;
            assertArrayEquals(Files.readAllBytes(tmp.resolve("single").resolve(f)), Files.readAllBytes(tmp.resolve("assembled").resolve(f)), f);
        }
        CliRun v = CliRun.of("verify", tmp.resolve("assembled").toString(), "--original", model.toString());
        assertEquals(0, v.exit(), v.out());
    }

    @Test
    void aMissingPartIsRefused() throws Exception {
        CliRun r = CliRun.of("assemble", parts.resolve("part-00000-of-00003").toString(), parts.resolve("part-00002-of-00003").toString(),
                "--out", tmp.resolve("x").toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("parts [1] of 3 are missing"), r.err());
        assertFalse(Files.exists(tmp.resolve("x")));
    }

    @Test
    void aDuplicatedPartIsRefused() {
        Path p1 = parts.resolve("part-00001-of-00003");
        CliRun r = CliRun.of("assemble", parts.toString(), p1.toString(), "--out", tmp.resolve("x").toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("is given twice"), r.err());
        assertFalse(Files.exists(tmp.resolve("x")));
    }

    @Test
    void aPartFromAnotherDirectionIsRefused() throws Exception {
        Files.writeString(direction, Files.readString(direction).replace("[1.0", "[0.5"));
        CliRun w = CliRun.of("ablate", model.toString(), "--direction", direction.toString(), "--out", tmp.resolve("other").toString(),
                "--shard-group", "1/3");
        assertEquals(0, w.exit(), w.err());
        CliRun r = CliRun.of("assemble", parts.resolve("part-00000-of-00003").toString(), tmp.resolve("other/part-00001-of-00003").toString(),
                parts.resolve("part-00002-of-00003").toString(), "--out", tmp.resolve("x").toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("another direction file"), r.err());
    }
}
