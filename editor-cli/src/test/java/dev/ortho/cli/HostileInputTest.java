package dev.ortho.cli;

import dev.ortho.fixtures.FixtureArch;
import dev.ortho.fixtures.FixtureCheckpoints;
import dev.ortho.fixtures.hostile.HostileBytes;
import dev.ortho.formats.safetensors.DType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static dev.ortho.fixtures.hostile.HostileBytes.entry;
import static dev.ortho.fixtures.hostile.HostileBytes.entryBody;
import static dev.ortho.fixtures.hostile.HostileBytes.headerLengthOnly;
import static dev.ortho.fixtures.hostile.HostileBytes.safetensors;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Hostile and malformed inputs through the real CLI. Each case must: exit 2, print a message that
 * names the problem (and the file where there is one), print no stack trace, and leave no output
 * directory (nor a temporary one) behind.
 */
class HostileInputTest {

    @TempDir Path tmp;
    Path model;
    Path direction;

    /** Mutates the fixture or prepares arguments; returns the ablate arguments after MODEL. */
    interface Setup {
        List<String> apply(HostileInputTest t) throws Exception;
    }

    @BeforeEach
    void fixture() throws Exception {
        model = FixtureCheckpoints.write(tmp.resolve("model"), FixtureArch.LLAMA, DType.F32, 1, 1);
        direction = tmp.resolve("dir.json");
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < FixtureArch.HIDDEN; i++) sb.append(i == 0 ? "" : ",").append(i % 3 - 1 + 0.5);
        Files.writeString(direction, sb.append("]").toString());
    }

    static Stream<Arguments> cases() {
        List<Arguments> c = new ArrayList<>();
        // ---- safetensors headers and data
        c.add(hostile("truncated file", "too short", t -> t.weights(new byte[]{1, 2, 3})));
        c.add(hostile("header length past EOF", "runs past the end of the file", t -> t.weights(headerLengthOnly(1000, 20))));
        c.add(hostile("header length 2^63", "exceeds the limit", t -> t.weights(headerLengthOnly(Long.MIN_VALUE, 20))));
        c.add(hostile("header length 100 MiB + 1", "exceeds the limit", t -> t.weights(headerLengthOnly((100L << 20) + 1, 20))));
        c.add(hostile("invalid JSON", "not valid JSON", t -> t.weights(safetensors("{\"a\":", new byte[0]))));
        c.add(hostile("non-object header", "not a JSON object", t -> t.weights(safetensors("[1,2,3]", new byte[0]))));
        c.add(hostile("invalid UTF-8", "not valid UTF-8", t -> t.weights(safetensors(new byte[]{'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'}, new byte[0]))));
        c.add(hostile("deeply nested JSON", "is not an object", t -> t.weights(safetensors("{\"a\":" + "[".repeat(200) + "]".repeat(200) + "}", new byte[0]))));
        c.add(hostile("NaN literal", "not valid JSON", t -> t.weights(safetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[NaN],\"data_offsets\":[0,4]}}", new byte[4]))));
        c.add(hostile("unknown dtype", "unknown dtype 'F33'", t -> t.weights(safetensors(entry("w", "F33", "[1]", 0, 4), new byte[4]))));
        c.add(hostile("shape x dtype != length", "needs 8", t -> t.weights(safetensors(entry("w", "F32", "[2]", 0, 4), new byte[4]))));
        c.add(hostile("overlapping ranges", "overlap", t -> t.weights(safetensors("{" + entryBody("a", "F32", "[2]", 0, 8) + "," + entryBody("b", "F32", "[2]", 4, 12) + "}", new byte[12]))));
        c.add(hostile("range past EOF", "past the end of the data section", t -> t.weights(safetensors(entry("w", "F32", "[4]", 0, 16), new byte[8]))));
        c.add(hostile("duplicate names", "Duplicate field", t -> t.weights(safetensors("{" + entryBody("a", "F32", "[1]", 0, 4) + "," + entryBody("a", "F32", "[1]", 4, 8) + "}", new byte[8]))));
        c.add(hostile("metadata value not a string", "is not a string", t -> t.weights(safetensors("{\"__metadata__\":{\"format\":1}," + entryBody("w", "F32", "[1]", 0, 4) + "}", new byte[4]))));
        c.add(hostile("negative shape", "negative", t -> t.weights(safetensors(entry("w", "F32", "[-1]", 0, 4), new byte[4]))));
        c.add(hostile("offsets end before begin", "end before they begin", t -> t.weights(safetensors(entry("w", "F32", "[1]", 8, 4), new byte[8]))));
        c.add(hostile("shape overflow", "overflows", t -> t.weights(safetensors(entry("w", "F32", "[4294967296,4294967296]", 0, 4), new byte[4]))));
        c.add(hostile("gap in data", "gap", t -> t.weights(safetensors(entry("w", "F32", "[1]", 4, 8), new byte[8]))));
        c.add(hostile("unexpected entry key", "unexpected key 'evil'", t -> t.weights(safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"evil\":1}}", new byte[4]))));
        // ---- shard index
        c.add(hostile("index names a missing shard", "does not exist", t -> t.index("{\"weight_map\":{\"w\":\"model-00009.safetensors\"}}")));
        c.add(hostile("index ../ path", "subdirectory", t -> t.index("{\"weight_map\":{\"w\":\"../model/model.safetensors\"}}")));
        c.add(hostile("index absolute path", "absolute path", t -> t.index("{\"weight_map\":{\"w\":\"/etc/passwd\"}}")));
        c.add(hostile("index symlink outside", "outside the checkpoint directory", t -> {
            Path outside = t.tmp.resolve("outside.safetensors");
            Files.copy(t.model.resolve("model.safetensors"), outside);
            Files.createSymbolicLink(t.model.resolve("link.safetensors"), outside);
            return t.index("{\"weight_map\":{\"model.embed_tokens.weight\":\"link.safetensors\"}}");
        }));
        c.add(hostile("tensor in two shards", "one shard only", t -> {
            Files.copy(t.model.resolve("model.safetensors"), t.model.resolve("copy.safetensors"));
            return t.index("{\"weight_map\":{\"model.embed_tokens.weight\":\"model.safetensors\",\"model.norm.weight\":\"copy.safetensors\"}}");
        }));
        c.add(hostile("shard tensor missing from the index", "missing from the index", t -> t.index("{\"weight_map\":{\"model.norm.weight\":\"model.safetensors\"}}")));
        c.add(hostile("index is not JSON", "not valid JSON", t -> t.index("{weight_map")));
        // ---- directions
        c.add(hostile("direction of the wrong length", "expected [32]", t -> t.direction("[1.0, 2.0, 3.0]")));
        c.add(hostile("direction with NaN", "NaN", t -> t.directionNpy(Double.NaN)));
        c.add(hostile("direction with infinity", "Infinity", t -> t.directionNpy(Double.POSITIVE_INFINITY)));
        c.add(hostile("zero direction", "zero vector", t -> t.direction("[" + "0.0,".repeat(FixtureArch.HIDDEN - 1) + "0.0]")));
        c.add(hostile("direction file missing", "does not exist", t -> t.args("--direction", t.tmp.resolve("nope.npy").toString())));
        c.add(hostile("direction format unknown", "unknown direction format", t -> {
            Files.writeString(t.tmp.resolve("d.txt"), "1 2 3");
            return t.args("--direction", t.tmp.resolve("d.txt").toString());
        }));
        c.add(hostile(".pt asking for os.system", "refusing pickle global 'os.system'", HostileInputTest::evilPickle));
        c.add(hostile("direction tensor name missing", "no such tensor", t -> t.args("--direction", t.model.resolve("model.safetensors") + ":nope")));
        // ---- output paths
        c.add(hostile("output inside the input", "inside the input", t -> t.out(t.model.resolve("sub"))));
        c.add(hostile("output equal to the input", "input checkpoint itself", t -> t.out(t.model)));
        c.add(hostile("existing output without --force", "already exists", t -> {
            Files.createDirectories(t.tmp.resolve("exists"));
            return t.out(t.tmp.resolve("exists"));
        }));
        // ---- config and options
        c.add(hostile("unknown architecture", "unsupported architecture", t -> t.config("\"model_type\": \"llama\"", "\"model_type\": \"bogus\"", "LlamaForCausalLM", "BogusForCausalLM")));
        c.add(hostile("config sizes contradict tensors", "does not match", t -> {
            t.direction("[" + "0.5,".repeat(47) + "0.5]");
            return t.config("\"hidden_size\": 32", "\"hidden_size\": 48");
        }));
        c.add(hostile("missing config.json", "no config.json", t -> {
            Files.delete(t.model.resolve("config.json"));
            return t.args();
        }));
        c.add(hostile("bad --layers", "--layers", t -> t.args("--layers", "3-x")));
        c.add(hostile("--layers beyond the model", "the model has 2 layers", t -> t.args("--layers", "0-5")));
        c.add(hostile("unknown component", "unknown component 'ffn'", t -> t.args("--components", "attn,ffn")));
        c.add(hostile("bad tied policy", "--tied-embeddings", t -> t.args("--tied-embeddings", "sometimes")));
        c.add(hostile("unknown --arch", "unknown architecture 'nope'", t -> t.args("--arch", "nope")));
        // ---- more safetensors structure
        c.add(hostile("empty file", "too short", t -> t.weights(new byte[0])));
        c.add(hostile("header length zero", "too short", t -> t.weights(headerLengthOnly(0, 8))));
        c.add(hostile("trailing bytes after the header JSON", "not valid JSON", t -> t.weights(safetensors(entry("w", "F32", "[1]", 0, 4) + "}}", new byte[4]))));
        c.add(hostile("data_offsets with three numbers", "data_offsets", t -> t.weights(safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", new byte[8]))));
        c.add(hostile("shape not a list", "shape", t -> t.weights(safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":4,\"data_offsets\":[0,16]}}", new byte[16]))));
        c.add(hostile("dtype not a string", "dtype", t -> t.weights(safetensors("{\"w\":{\"dtype\":7,\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]))));
        c.add(hostile("fractional shape", "shape", t -> t.weights(safetensors(entry("w", "F32", "[1.5]", 0, 4), new byte[4]))));
        // ---- sharded checkpoints
        c.add(hostile("truncated shard", "past the end", t -> {
            t.resharded();
            Path shard = t.model.resolve("model-00002-of-00002.safetensors");
            byte[] b = Files.readAllBytes(shard);
            Files.write(shard, java.util.Arrays.copyOf(b, b.length - 16));
            return List.of();
        }));
        c.add(hostile("shard rewritten after the index", "missing from the index", t -> {
            t.resharded();
            Path shard = t.model.resolve("model-00002-of-00002.safetensors");
            String h = t.headerOf(shard);
            String renamed = h.replaceFirst("\"model\\.", "\"mod3l.");
            assertNotEquals(h, renamed);
            t.replaceHeader(shard, renamed);
            return List.of();
        }));
        c.add(hostile("shard named twice under two spellings", "'./model.safetensors'", t -> t.index(
                "{\"weight_map\":{\"model.embed_tokens.weight\":\"model.safetensors\",\"model.norm.weight\":\"./model.safetensors\"}}")));
        c.add(hostile("index weight_map not an object", "weight_map", t -> t.index("{\"weight_map\":[\"model.safetensors\"]}")));
        // ---- config.json
        c.add(hostile("config.json not JSON", "config.json", t -> {
            Files.writeString(t.model.resolve("config.json"), "{\"model_type\": ");
            return List.of();
        }));
        c.add(hostile("config.json with NaN", "config.json", t -> t.config("\"hidden_size\": 32", "\"hidden_size\": NaN")));
        c.add(hostile("config layer count contradicts tensors", "num_hidden_layers is 7", t -> t.config("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 7")));
        c.add(hostile("tied config with a separate head anyway", "lm_head.weight", t -> t.config("\"tie_word_embeddings\": false", "\"tie_word_embeddings\": true")));
        // ---- direction files
        c.add(hostile(".npy with object dtype", "no supported 'descr'", t -> t.npyWithDescr("|O", 8)));
        c.add(hostile(".npy with truncated data", "npy", t -> t.npyWithDescr("<f8", 3)));
        c.add(hostile(".pt asking for builtins.eval", "refusing pickle global 'builtins.eval'", t -> t.pickle("builtins", "eval")));
        c.add(hostile(".pt that is not a zip", "not a valid PyTorch zip archive", t -> {
            Path p = t.tmp.resolve("junk.pt");
            Files.write(p, new byte[]{1, 2, 3, 4, 5, 6, 7, 8});
            return List.of("--direction", p.toString());
        }));
        c.add(hostile("direction safetensors with an integer tensor", "I32", t -> {
            Path p = t.tmp.resolve("ints.safetensors");
            Files.write(p, safetensors(entry("r", "I32", "[" + FixtureArch.HIDDEN + "]", 0, 4L * FixtureArch.HIDDEN), new byte[4 * FixtureArch.HIDDEN]));
            return List.of("--direction", p.toString());
        }));
        // ---- command-line arguments
        c.add(hostile("--threads 0", "--threads must be 1..1024", t -> t.args("--threads", "0")));
        c.add(hostile("--alpha NaN", "--alpha must be a finite number", t -> t.args("--alpha", "NaN")));
        c.add(hostile("--hash md5", "--hash must be sha256 or none", t -> t.args("--hash", "md5")));
        c.add(hostile("--shard-group 3/2", "--shard-group", t -> t.args("--shard-group", "3/2")));
        c.add(hostile("unknown option", "Unknown option", t -> t.args("--frobnicate")));
        return c.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void refusedCleanly(String name, String expectedMessage, Setup setup) throws Exception {
        List<String> extra = setup.apply(this);
        Path out = tmp.resolve("out");
        List<String> argv = new ArrayList<>(List.of("ablate", model.toString()));
        if (!extra.contains("--direction")) argv.addAll(List.of("--direction", direction.toString()));
        if (!extra.contains("--out")) argv.addAll(List.of("--out", out.toString()));
        argv.addAll(extra);
        byte[] before = Files.exists(model.resolve("config.json")) ? Files.readAllBytes(model.resolve("config.json")) : null;
        CliRun r = CliRun.of(argv.toArray(String[]::new));
        assertEquals(2, r.exit(), () -> name + ": exit " + r.exit() + "\nstderr: " + r.err() + "\nstdout: " + r.out());
        assertTrue(r.err().contains(expectedMessage), () -> name + ": message should contain '" + expectedMessage + "' but was: " + r.err());
        assertTrue(r.err().startsWith("ortho: error: "), r.err());
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), () -> "stack trace or exception name on stderr: " + r.err());
        Path target = Path.of(argv.get(argv.indexOf("--out") + 1));
        if (!name.contains("existing output") && !name.contains("output equal")) assertFalse(Files.exists(target), "output directory was created");
        try (var s = Files.list(tmp)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().contains("ortho-tmp")), "temporary directory left behind");
        }
        assertFalse(Files.exists(tmp.resolve("pwned")), "a pickle payload ran");
        if (before != null) assertArrayEquals(before, Files.readAllBytes(model.resolve("config.json")), "input modified");
    }

    // ------------------------------------------------------------------ helpers

    static Arguments hostile(String name, String message, Setup setup) { return Arguments.of(name, message, setup); }

    List<String> args(String... a) { return List.of(a); }

    List<String> weights(byte[] bytes) throws IOException {
        Files.write(model.resolve("model.safetensors"), bytes);
        return List.of();
    }

    List<String> index(String json) throws IOException {
        Files.writeString(model.resolve("model.safetensors.index.json"), json);
        return List.of();
    }

    List<String> direction(String json) throws IOException {
        Files.writeString(direction, json);
        return List.of();
    }

    List<String> directionNpy(double poison) throws IOException {
        Path p = tmp.resolve("dir.npy");
        Files.write(p, HostileBytes.npy("<f8", FixtureArch.HIDDEN, FixtureArch.HIDDEN, 5, poison));
        return List.of("--direction", p.toString());
    }

    List<String> out(Path p) { return List.of("--out", p.toString()); }

    List<String> config(String... replacements) throws IOException {
        String c = Files.readString(model.resolve("config.json"));
        for (int i = 0; i < replacements.length; i += 2) {
            assertTrue(c.contains(replacements[i]), replacements[i]);
            c = c.replace(replacements[i], replacements[i + 1]);
        }
        Files.writeString(model.resolve("config.json"), c);
        return List.of();
    }

    static List<String> evilPickle(HostileInputTest t) throws IOException {
        Path pt = t.tmp.resolve("evil.pt");
        HostileBytes.maliciousPt(pt, "os", "system", "touch " + t.tmp.resolve("pwned"));
        return List.of("--direction", pt.toString());
    }

    /** Replaces the single-file fixture with a two-shard one (index included). */
    void resharded() throws IOException {
        dev.ortho.formats.checkpoint.CheckpointWriter.deleteRecursively(model);
        FixtureCheckpoints.write(model, FixtureArch.LLAMA, DType.F32, 1, 2);
    }

    String headerOf(Path shard) throws IOException {
        byte[] b = Files.readAllBytes(shard);
        long n = ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return new String(b, 8, (int) n, StandardCharsets.UTF_8);
    }

    /** Rewrites a shard's header in place of the old one, padded to the same length. */
    void replaceHeader(Path shard, String header) throws IOException {
        byte[] b = Files.readAllBytes(shard);
        int n = (int) ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        assertTrue(h.length <= n);
        byte[] padded = (header + " ".repeat(n - h.length)).getBytes(StandardCharsets.UTF_8);
        System.arraycopy(padded, 0, b, 8, n);
        Files.write(shard, b);
    }

    List<String> npyWithDescr(String descr, int elements) throws IOException {
        Path p = tmp.resolve("odd.npy");
        Files.write(p, HostileBytes.npy(descr, FixtureArch.HIDDEN, elements, -1, 0));
        return List.of("--direction", p.toString());
    }

    /** A torch zip whose pickle calls {@code module.function} with Python that would create the marker file. */
    List<String> pickle(String module, String function) throws IOException {
        Path pt = tmp.resolve("evil2.pt");
        HostileBytes.maliciousPt(pt, module, function, "open('" + tmp.resolve("pwned") + "','w')");
        return List.of("--direction", pt.toString());
    }
}
