package dev.ortho.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ortho.fixtures.FixtureArch;
import dev.ortho.fixtures.FixtureCheckpoints;
import dev.ortho.formats.safetensors.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The same edit through the CLI at 1, 2 and 8 threads, twice each: every output file except the
 * manifest is byte-identical, and the manifests differ only where they must (creation time, the
 * command line that named a different output and thread count, the thread count itself).
 */
class CliDeterminismTest {

    @TempDir Path tmp;

    /** JSON paths allowed to differ between the runs. */
    static final Set<String> MAY_DIFFER = Set.of("/created_utc", "/command_line", "/parameters/threads");

    @Test
    void byteIdenticalAcrossThreadCountsAndReruns() throws Exception {
        // F32 and BF16 both: the BF16 path rounds twice-narrowed values, the F32 path is bit-exact.
        for (DType dtype : List.of(DType.F32, DType.BF16)) {
            Path model = FixtureCheckpoints.write(tmp.resolve("model-" + dtype), FixtureArch.LLAMA, dtype, 4, 2);
            Path direction = tmp.resolve("d.json");
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < FixtureArch.HIDDEN; i++) sb.append(i == 0 ? "" : ",").append(Math.cos(0.7 * i + 0.1));
            Files.writeString(direction, sb.append("]").toString());

            List<Path> outs = new ArrayList<>();
            for (int threads : new int[] {1, 2, 8}) {
                for (int rep = 0; rep < 2; rep++) {
                    Path out = tmp.resolve("out-" + dtype + "-t" + threads + "-r" + rep);
                    CliRun r = CliRun.of("ablate", model.toString(), "--direction", direction.toString(),
                            "--out", out.toString(), "--threads", Integer.toString(threads), "--no-progress");
                    assertEquals(0, r.exit(), r.err());
                    outs.add(out);
                }
            }
            Path first = outs.getFirst();
            List<String> files = listFiles(first);
            assertTrue(files.stream().anyMatch(f -> f.endsWith(".safetensors")));
            JsonNode manifest0 = new ObjectMapper().readTree(first.resolve("ortho-manifest.json").toFile());
            for (Path other : outs.subList(1, outs.size())) {
                assertEquals(files, listFiles(other), "same file set in " + other);
                for (String f : files) {
                    if (f.equals("ortho-manifest.json")) continue;
                    assertArrayEquals(Files.readAllBytes(first.resolve(f)), Files.readAllBytes(other.resolve(f)),
                            f + " differs between " + first.getFileName() + " and " + other.getFileName());
                }
                JsonNode m = new ObjectMapper().readTree(other.resolve("ortho-manifest.json").toFile());
                Set<String> diffs = new TreeSet<>();
                diff("", manifest0, m, diffs);
                for (String d : diffs) {
                    assertTrue(MAY_DIFFER.stream().anyMatch(d::startsWith), "manifest field " + d + " differs for " + other.getFileName());
                }
            }
        }
    }

    private static List<String> listFiles(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Collects the JSON pointers at which a and b differ. */
    private static void diff(String at, JsonNode a, JsonNode b, Set<String> out) {
        if (a.isObject() && b.isObject()) {
            Set<String> keys = new TreeSet<>();
            a.fieldNames().forEachRemaining(keys::add);
            b.fieldNames().forEachRemaining(keys::add);
            for (String k : keys) {
                JsonNode x = a.get(k), y = b.get(k);
                if (x == null || y == null) out.add(at + "/" + k);
                else diff(at + "/" + k, x, y, out);
            }
        } else if (a.isArray() && b.isArray() && a.size() == b.size()) {
            Iterator<JsonNode> i = a.elements(), j = b.elements();
            for (int k = 0; i.hasNext(); k++) diff(at + "/" + k, i.next(), j.next(), out);
        } else if (!a.equals(b)) {
            out.add(at);
        }
    }
}
