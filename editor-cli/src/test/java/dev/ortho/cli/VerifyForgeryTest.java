package dev.ortho.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ortho.core.edit.Sha256Hex;
import dev.ortho.core.provenance.ManifestJson;
import dev.ortho.fixtures.FixtureArch;
import dev.ortho.fixtures.FixtureCheckpoints;
import dev.ortho.formats.checkpoint.Checkpoint;
import dev.ortho.formats.checkpoint.TensorRef;
import dev.ortho.formats.safetensors.DType;
import dev.ortho.formats.safetensors.SafetensorsFile;
import dev.ortho.formats.safetensors.SafetensorsWriter;
import dev.ortho.formats.safetensors.TensorLayout;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Forged outputs, each made the way a forger would (bytes changed AND the manifest's hashes fixed to match),
 * each caught by {@code ortho verify} with exit 1 and a message naming the tensor or file; with and without
 * {@code --original} where both apply. docs/reliability.md lists them.
 */
class VerifyForgeryTest {

    private static final ObjectMapper JSON = ManifestJson.mapper();
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static final String DOWN0 = "model.layers.0.mlp.down_proj.weight", DOWN1 = "model.layers.1.mlp.down_proj.weight",
            O0 = "model.layers.0.self_attn.o_proj.weight", O1 = "model.layers.1.self_attn.o_proj.weight";

    @TempDir Path tmp;
    Path model, direction, out;

    @BeforeEach
    void edit() throws Exception {
        model = FixtureCheckpoints.write(tmp.resolve("model"), FixtureArch.QWEN2, DType.BF16, 4, 2);
        direction = SineDirection.write(tmp.resolve("d.json"));
        out = tmp.resolve("out");
        CliRun r = CliRun.of("ablate", model.toString(), "--direction", direction.toString(), "--out", out.toString(), "--no-progress");
        assertEquals(0, r.exit(), r.err());
    }

    // ------------------------------------------------------------------ the genuine output passes

    @Test
    void theGenuineOutputVerifiesWithAndWithoutTheOriginal() {
        CliRun alone = verify(false);
        assertEquals(0, alone.exit(), alone.out() + alone.err());
        assertTrue(alone.out().contains("n/a  identical") && alone.out().contains("needs --original"),
                "what cannot be checked without the original is said, not passed silently: " + alone.out());
        CliRun full = verify(true);
        assertEquals(0, full.exit(), full.out() + full.err());
        assertTrue(full.out().contains("VERIFIED") && full.out().contains("0 not applicable"), full.out());
        CliRun all = CliRun.of("verify", out.toString(), "--original", model.toString(), "--all");
        assertTrue(all.out().contains("ok   reference  " + DOWN1 + ": bit-identical to the float64 reference"), all.out());
        assertTrue(all.out().contains("ok   plan       edits: 5 planned edits, exactly the manifest's edits list"), all.out());
    }

    // ------------------------------------------------------------------ 1. an edit entry dropped, its bytes restored

    @Test
    void editEntryDroppedAndItsBytesRestored() throws Exception {
        restoreOriginal(DOWN1);
        editManifest(m -> removeEdit(m, DOWN1));
        CliRun r = verify(false);
        assertFails(r, "FAIL plan       " + DOWN1 + ": the plan edits this MLP_OUT writer but the manifest's edits list does not have it");
        assertFails(r, "FAIL leftover   " + DOWN1 + ": max |r·w'|");
        assertFails(verify(true), "FAIL reference  " + DOWN1 + ":");
    }

    // ------------------------------------------------------------------ 2. a writer silently left out

    @Test
    void writerSilentlyLeftOutWhileTheManifestClaimsItEdited() throws Exception {
        restoreOriginal(O0);
        fixHashes();
        CliRun r = verify(false);
        assertFails(r, "FAIL leftover   " + O0 + ": max |r·w'|");
        assertFails(r, "FAIL leftover   " + O0 + ": Frobenius norm");
        assertFails(verify(true), "FAIL reference  " + O0 + ":");
    }

    // ------------------------------------------------------------------ 3. alpha changed in the manifest only

    @Test
    void alphaChangedInTheManifestOnly() throws Exception {
        editManifest(m -> ((ObjectNode) m.get("parameters")).put("alpha", 0.5));
        CliRun r = verify(false);
        assertFails(r, "FAIL leftover   " + DOWN0 + ": alpha_t=0.5 leaves (1 - alpha_t)(r·v) along r, but nothing is left");
        assertFails(verify(true), "FAIL reference  " + DOWN0 + ":");
    }

    // ------------------------------------------------------------------ 4. a tensor swapped between shards

    @Test
    void tensorsSwappedBetweenShards() throws Exception {
        String[] pair = pairInDifferentShards();
        byte[] a = bytesOf(out, pair[0]), b = bytesOf(out, pair[1]);
        replaceBytes(pair[0], b);
        replaceBytes(pair[1], a);
        fixHashes();
        CliRun r = verify(false);
        assertFails(r, "FAIL leftover   " + pair[0] + ": Frobenius norm");
        assertFails(r, "FAIL leftover   " + pair[1] + ": Frobenius norm");
        CliRun full = verify(true);
        assertFails(full, "FAIL reference  " + pair[0] + ":");
        assertFails(full, "FAIL reference  " + pair[1] + ":");
    }

    @Test
    void tensorMovedToAnotherShard() throws Exception {
        String[] pair = pairInDifferentShards();
        String from = shardOf(out, pair[0]), to = shardOf(out, pair[1]);
        Map<String, Map<String, Tensor>> shards = new LinkedHashMap<>();
        shards.put(from, readShard(out.resolve(from)));
        shards.put(to, readShard(out.resolve(to)));
        Tensor moved = shards.get(from).remove(pair[0]);
        shards.get(to).put(pair[0], moved);
        for (var e : shards.entrySet()) writeShard(out.resolve(e.getKey()), e.getValue());
        Path index = out.resolve("model.safetensors.index.json");
        ObjectNode idx = (ObjectNode) JSON.readTree(index.toFile());
        ((ObjectNode) idx.get("weight_map")).put(pair[0], to);
        Files.writeString(index, JSON.writeValueAsString(idx));
        fixHashes();
        assertFails(verify(false), "FAIL plan       " + pair[0] + ": the manifest's edits entry disagrees with the plan and the output: file " + from + " but " + to);
        assertFails(verify(true), "FAIL placement  " + pair[0] + ": stored in " + to + " but the original keeps it in " + from);
    }

    // ------------------------------------------------------------------ 5. an extra weight file in a sub folder

    @Test
    void extraWeightFileInASubfolder() throws Exception {
        Path extra = out.resolve("adapter/adapter_model.safetensors");
        Files.createDirectories(extra.getParent());
        Files.copy(model.resolve("model-00001-of-00002.safetensors"), extra);
        assertFails(verify(false), "FAIL files      adapter/adapter_model.safetensors: weight or code file not listed in the manifest");
        assertFails(verify(true), "FAIL files      adapter/adapter_model.safetensors:");
    }

    // ------------------------------------------------------------------ 6. a tensor's dtype changed

    @Test
    void tensorDtypeChanged() throws Exception {
        // The edited BF16 values widened exactly to F32: the same numbers, another dtype.
        String shard = shardOf(out, DOWN0);
        Map<String, Tensor> tensors = readShard(out.resolve(shard));
        Tensor t = tensors.get(DOWN0);
        byte[] wide = new byte[t.bytes.length * 2];
        MemorySegment src = MemorySegment.ofArray(t.bytes), dst = MemorySegment.ofArray(wide);
        for (long i = 0; i < t.bytes.length / 2; i++) dst.set(F32, i * 4, Float.intBitsToFloat((src.get(I16, i * 2) & 0xFFFF) << 16));
        tensors.put(DOWN0, new Tensor(DType.F32, t.shape, wide));
        writeShard(out.resolve(shard), tensors);
        fixHashes();
        assertFails(verify(false), "FAIL plan       " + DOWN0 + ": the manifest's edits entry disagrees with the plan and the output: dtype BF16 but F32");
        assertFails(verify(true), "FAIL reference  " + DOWN0 + ": stored as F32 [32, 48] but the original " + DOWN0 + " is BF16 [32, 48]");
    }

    // ------------------------------------------------------------------ 7. an entry for a tensor the plan does not edit

    @Test
    void editsEntryForATensorThePlanDoesNotEdit() throws Exception {
        String q = "model.layers.0.self_attn.q_proj.weight";
        editManifest(m -> {
            ObjectNode copy = ((ObjectNode) m.get("edits").get(1)).deepCopy();
            copy.put("name", q);
            ((ArrayNode) m.get("edits")).add(copy);
        });
        assertFails(verify(false), "FAIL plan       " + q + ": listed in the manifest's edits but the plan");
    }

    // ------------------------------------------------------------------ the variant fields are read, not ignored

    @Test
    void normPreservingClaimedButNotDoneFailsAgainstTheOriginal() throws Exception {
        editManifest(m -> ((ObjectNode) m.get("parameters")).put("norm_preserving", true));
        assertFails(verify(true), "norm-preserving) of the original");
    }

    @Test
    void aBasisRecordedAsListsOfVectorsIsReadTheSame() throws Exception {
        editManifest(m -> {
            ObjectNode d = (ObjectNode) m.get("direction");
            ArrayNode nested = JSON.createArrayNode();
            // Old manifests hold one vector per entry; wrap them as lists of k = 1 vectors (new ones already are).
            for (JsonNode v : d.get("unit")) nested.add(v.get(0).isNumber() ? JSON.createArrayNode().add(v) : v);
            d.set("unit", nested);
            ((ObjectNode) m.get("parameters")).put("direction_count", 1);
            for (JsonNode e : m.get("edits")) ((ObjectNode) e).put("alpha", 1.0).put("basis_layer", -1);
        });
        CliRun r = verify(true);
        assertEquals(0, r.exit(), r.out());
        editManifest(m -> ((ObjectNode) m.get("edits").get(0)).put("alpha", 0.75));
        assertFails(verify(true), "alpha 0.75 but the parameters give alpha_t 1.0");
    }

    @Test
    void alphaBelowOneIsNotApplicableWithoutTheOriginalAndCheckedWithIt() {
        Path half = tmp.resolve("half");
        CliRun a = CliRun.of("ablate", model.toString(), "--direction", direction.toString(), "--out", half.toString(),
                "--alpha", "0.5", "--no-progress");
        assertEquals(0, a.exit(), a.err());
        CliRun alone = CliRun.of("verify", half.toString());
        assertEquals(0, alone.exit(), alone.out());
        assertTrue(alone.out().contains("n/a  leftover   5 tensors") && alone.out().contains("alpha_t=0.5"), alone.out());
        CliRun full = CliRun.of("verify", half.toString(), "--original", model.toString());
        assertEquals(0, full.exit(), full.out());
        assertTrue(full.out().contains("VERIFIED"), full.out());
    }


    /**
     * A strength within BF16's rounding of 1 (a search's layer kernel gives such values) leaves a leftover no larger
     * than rounding: an honest edit, which must not be mistaken for the "edited with alpha 1" forgery.
     */
    @Test
    void alphaWithinRoundingOfOneIsAnHonestEdit() {
        Path near = tmp.resolve("near");
        CliRun a = CliRun.of("ablate", model.toString(), "--direction", direction.toString(), "--out", near.toString(),
                "--alpha", "1.0009", "--no-progress");
        assertEquals(0, a.exit(), a.err());
        CliRun alone = CliRun.of("verify", near.toString());
        assertEquals(0, alone.exit(), alone.out());
        assertTrue(alone.out().contains("n/a  leftover") && alone.out().contains("alpha_t=1.0009"), alone.out());
        CliRun full = CliRun.of("verify", near.toString(), "--original", model.toString());
        assertEquals(0, full.exit(), full.out());
        assertTrue(full.out().contains("VERIFIED"), full.out());
    }
    // ------------------------------------------------------------------ helpers

    private CliRun verify(boolean withOriginal) {
        return withOriginal ? CliRun.of("verify", out.toString(), "--original", model.toString())
                : CliRun.of("verify", out.toString());
    }

    private static void assertFails(CliRun r, String expected) {
        assertEquals(1, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains(expected), "expected '" + expected + "' in:\n" + r.out());
        assertTrue(r.out().contains("VERIFICATION FAILED"), r.out());
    }

    record Tensor(DType dtype, List<Long> shape, byte[] bytes) {}

    private static Map<String, Tensor> readShard(Path file) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (var t : f.tensors()) m.put(t.name(), new Tensor(t.dtype(), t.shape(), f.data(t).toArray(ValueLayout.JAVA_BYTE)));
        }
        return m;
    }

    private static void writeShard(Path file, Map<String, Tensor> tensors) throws Exception {
        Path tmpFile = file.resolveSibling(file.getFileName() + ".forged");
        List<TensorLayout> layout = new ArrayList<>();
        tensors.forEach((n, t) -> layout.add(new TensorLayout(n, t.dtype(), t.shape())));
        try (SafetensorsWriter w = SafetensorsWriter.create(tmpFile, Map.of("format", "pt"), layout)) {
            for (Tensor t : tensors.values()) w.write(MemorySegment.ofArray(t.bytes()));
            w.finish();
        }
        Files.move(tmpFile, file, StandardCopyOption.REPLACE_EXISTING);
    }

    private static String shardOf(Path dir, String tensor) {
        try (Checkpoint c = Checkpoint.open(dir)) {
            return c.tensor(tensor).file().path().getFileName().toString();
        }
    }

    private static byte[] bytesOf(Path dir, String tensor) {
        try (Checkpoint c = Checkpoint.open(dir)) {
            return c.tensor(tensor).data().toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /** Two edited tensors of the same shape in different shards. */
    private String[] pairInDifferentShards() {
        for (String[] p : List.of(new String[]{DOWN0, DOWN1}, new String[]{O0, O1}, new String[]{O0, DOWN1}, new String[]{DOWN0, O1})) {
            if (!shardOf(out, p[0]).equals(shardOf(out, p[1])) && bytesOf(out, p[0]).length == bytesOf(out, p[1]).length) return p;
        }
        throw new AssertionError("the fixture has no two same-shaped writers in different shards");
    }

    private void replaceBytes(String tensor, byte[] bytes) throws Exception {
        String shard = shardOf(out, tensor);
        Map<String, Tensor> tensors = readShard(out.resolve(shard));
        Tensor t = tensors.get(tensor);
        tensors.put(tensor, new Tensor(t.dtype(), t.shape(), bytes));
        writeShard(out.resolve(shard), tensors);
    }

    private void restoreOriginal(String tensor) throws Exception {
        replaceBytes(tensor, bytesOf(model, tensor));
        fixHashes();
    }

    private void editManifest(Consumer<ObjectNode> change) throws Exception {
        Path m = out.resolve("ortho-manifest.json");
        ObjectNode root = (ObjectNode) JSON.readTree(m.toFile());
        change.accept(root);
        Files.write(m, JSON.writeValueAsBytes(root));
        fixHashes();
    }

    private static void removeEdit(ObjectNode m, String name) {
        for (Iterator<JsonNode> it = m.get("edits").iterator(); it.hasNext(); ) {
            if (it.next().get("name").asText().equals(name)) it.remove();
        }
    }

    /** What a forger does last: the manifest's sizes and SHA-256 made to match the files as they now are. */
    private void fixHashes() throws Exception {
        Path m = out.resolve("ortho-manifest.json");
        ObjectNode root = (ObjectNode) JSON.readTree(m.toFile());
        for (JsonNode f : root.get("outputs")) {
            Path p = out.resolve(f.get("path").asText());
            byte[] bytes = Files.readAllBytes(p);
            ((ObjectNode) f).put("size", bytes.length).put("sha256", Sha256Hex.of(Sha256Hex.newDigest().digest(bytes)));
        }
        Files.write(m, JSON.writeValueAsBytes(root));
    }
}
