package dev.ortho.core.edit.quant;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ortho.core.edit.AblationRequest;
import dev.ortho.core.edit.CheckpointEditor;
import dev.ortho.core.edit.EditOptions;
import dev.ortho.core.edit.LayerKernels;
import dev.ortho.core.edit.LayerSelection;
import dev.ortho.core.edit.ProgressListener;
import dev.ortho.core.edit.TiedPolicy;
import dev.ortho.core.provenance.EditedTensor;
import dev.ortho.core.provenance.FileDigest;
import dev.ortho.core.provenance.Manifest;
import dev.ortho.core.provenance.ManifestJson;
import dev.ortho.core.provenance.QuantizedEdit;
import dev.ortho.core.verify.CheckResult;
import dev.ortho.core.verify.Verifier;
import dev.ortho.core.verify.VerifyReport;
import dev.ortho.fixtures.FixtureArch;
import dev.ortho.fixtures.QuantizedFixtures;
import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.safetensors.DType;
import dev.ortho.formats.safetensors.SafetensorsFile;
import dev.ortho.formats.safetensors.TensorInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Block-FP8 edits on a generated DeepSeek-V3-style checkpoint, checked against an independent
 * float64 computation in this test: the 8-bit values are decoded and re-encoded by the fixtures'
 * exhaustive codec (not the code under test), the projection done with plain loops.
 */
class Fp8BlockEditTest {

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort S = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int BM = 16, BN = 16;
    private static final List<String> FP8_WRITERS = List.of("model.layers.0.mlp.down_proj.weight", "model.layers.0.self_attn.o_proj.weight",
            "model.layers.1.mlp.down_proj.weight", "model.layers.1.self_attn.o_proj.weight");

    @Test
    void requantizedEditEqualsTheIndependentFloat64Result(@TempDir Path tmp) throws Exception {
        double[] r = unit(4);
        Path model = QuantizedFixtures.fp8BlockLlama(tmp.resolve("in"), 3, BM, BN, r);
        CheckpointEditor.Result res = ablate(model, tmp, r, tmp.resolve("out"), 1.0, false, 2);

        Set<String> edited = res.manifest().edits().stream().map(EditedTensor::name).collect(Collectors.toCollection(TreeSet::new));
        Set<String> expected = new TreeSet<>(FP8_WRITERS);
        expected.add("model.embed_tokens.weight");
        assertEquals(expected, edited);
        assertTrue(res.manifest().warnings().stream().noneMatch(w -> w.contains("looks like a residual-stream writer")), res.manifest().warnings().toString());

        try (SafetensorsFile in = SafetensorsFile.open(model.resolve("model.safetensors"));
             SafetensorsFile out = SafetensorsFile.open(res.out().resolve("model.safetensors"))) {
            for (String name : FP8_WRITERS) {
                EditedTensor e = edit(res.manifest(), name);
                assertEquals("F8_E4M3", e.dtype());
                QuantizedEdit q = e.quantized();
                assertEquals("requantized", q.output());
                assertEquals(List.of(BM, BN), q.blockSize());
                Expected x = expected(in, name, r, 1.0);
                // Stored scales and codes are exactly the requantization of the float64 edit.
                float[] scales = floats(out, name + "_scale_inv");
                assertArrayEquals(x.scales, scales, 0f, name + " block scales");
                byte[] codes = bytes(out, name);
                assertArrayEquals(x.codes, codes, name + " codes");
                assertEquals(x.survived, q.survivedFraction(), 1e-9, name + " survived fraction");
                assertEquals(x.deltaNorm, q.deltaNorm(), 1e-9 * x.deltaNorm);
                assertTrue(q.survivedFraction() > 0.5 && q.survivedFraction() < 1.5, "survived " + q.survivedFraction());
                // The planted component along r is removed up to the FP8 grid.
                assertTrue(q.componentAfter() < 0.15 * q.componentBefore(), q.componentAfter() + " vs " + q.componentBefore());
            }
            // FP8 tensors that are not edited, and their scales, are kept byte for byte.
            for (String name : List.of("model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.q_proj.weight_scale_inv",
                    "model.layers.1.mlp.up_proj.weight", "model.layers.1.mlp.up_proj.weight_scale_inv")) {
                assertArrayEquals(bytes(in, name), bytes(out, name), name);
                assertEquals(in.header().find(name).orElseThrow().dtype(), out.header().find(name).orElseThrow().dtype());
            }
        }
        assertArrayEquals(Files.readAllBytes(model.resolve("config.json")), Files.readAllBytes(res.out().resolve("config.json")));

        VerifyReport withOriginal = Verifier.verify(res.out(), Optional.of(model), 2);
        assertTrue(withOriginal.ok(), () -> withOriginal.failures().toString());
        assertTrue(withOriginal.checks().stream().anyMatch(c -> c.kind().equals("survived")));
        VerifyReport alone = Verifier.verify(res.out(), Optional.empty(), 2);
        assertTrue(alone.ok(), () -> alone.failures().toString());
    }

    @Test
    void dequantizeEditedStoresExactBf16AndTellsTheConfig(@TempDir Path tmp) throws Exception {
        double[] r = unit(6);
        Path model = QuantizedFixtures.fp8BlockLlama(tmp.resolve("in"), 5, BM, BN, r);
        CheckpointEditor.Result res = ablate(model, tmp, r, tmp.resolve("out"), 1.0, true, 2);
        try (SafetensorsFile in = SafetensorsFile.open(model.resolve("model.safetensors"));
             SafetensorsFile out = SafetensorsFile.open(res.out().resolve("model.safetensors"))) {
            for (String name : FP8_WRITERS) {
                assertEquals(DType.BF16, out.header().find(name).orElseThrow().dtype(), name);
                assertTrue(out.header().find(name + "_scale_inv").isEmpty(), "scale dropped: " + name);
                EditedTensor e = edit(res.manifest(), name);
                assertEquals("BF16", e.dtype());
                assertEquals("dequantized-bf16", e.quantized().output());
                Expected x = expected(in, name, r, 1.0);
                MemorySegment got = out.data(out.header().find(name).orElseThrow());
                for (int i = 0; i < x.edited.length; i++) {
                    double have = Float.intBitsToFloat(got.getAtIndex(S, i) << 16);
                    assertEquals(bf16(x.edited[i]), have, 0.0, name + " element " + i);
                }
                assertTrue(e.quantized().survivedFraction() > 0.99, "BF16 keeps the edit: " + e.quantized().survivedFraction());
            }
            assertTrue(out.header().find("model.layers.0.self_attn.q_proj.weight_scale_inv").isPresent());
        }
        JsonNode qc = new ObjectMapper().readTree(res.out().resolve("config.json").toFile()).get("quantization_config");
        for (String key : List.of("modules_to_not_convert", "ignored_layers")) {
            Set<String> listed = new TreeSet<>();
            qc.get(key).forEach(n -> listed.add(n.asText()));
            assertEquals(FP8_WRITERS.stream().map(n -> n.substring(0, n.length() - ".weight".length())).collect(Collectors.toCollection(TreeSet::new)),
                    listed, key);
        }
        assertEquals("fp8", qc.get("quant_method").asText());
        VerifyReport v = Verifier.verify(res.out(), Optional.of(model), 2);
        assertTrue(v.ok(), () -> v.failures().toString());
        VerifyReport alone = Verifier.verify(res.out(), Optional.empty(), 2);
        assertTrue(alone.ok(), () -> alone.failures().toString());
    }

    @Test
    void outputIsByteIdenticalWhateverTheThreadCount(@TempDir Path tmp) throws Exception {
        double[] r = unit(7);
        Path model = QuantizedFixtures.fp8BlockLlama(tmp.resolve("in"), 7, BM, BN, r);
        byte[] one = Files.readAllBytes(ablate(model, tmp, r, tmp.resolve("o1"), 1.0, false, 1).out().resolve("model.safetensors"));
        byte[] three = Files.readAllBytes(ablate(model, tmp, r, tmp.resolve("o3"), 1.0, false, 3).out().resolve("model.safetensors"));
        assertArrayEquals(one, three);
    }

    @Test
    void weightAndScaleInDifferentShardsAndShardGroups(@TempDir Path tmp) throws Exception {
        double[] r = unit(11);
        Path single = QuantizedFixtures.fp8BlockLlama(tmp.resolve("single"), 11, BM, BN, r);
        Path sharded = QuantizedFixtures.fp8BlockLlama(tmp.resolve("sharded"), 11, BM, BN, r, 7);
        String index = Files.readString(sharded.resolve("model.safetensors.index.json"));
        JsonNode map = new ObjectMapper().readTree(index).get("weight_map");
        assertTrue(FP8_WRITERS.stream().anyMatch(n -> !map.get(n).asText().equals(map.get(n + "_scale_inv").asText())),
                "the fixture must split some weight from its scale");
        for (boolean dequantize : new boolean[]{false, true}) {
            String tag = dequantize ? "bf16" : "fp8";
            Path a = ablate(single, tmp, r, tmp.resolve("a-" + tag), 1.0, dequantize, 2).out();
            Path b = ablate(sharded, tmp, r, tmp.resolve("b-" + tag), 1.0, dequantize, 2).out();
            try (var x = dev.ortho.formats.checkpoint.Checkpoint.open(a); var y = dev.ortho.formats.checkpoint.Checkpoint.open(b)) {
                assertEquals(x.tensors().size(), y.tensors().size());
                for (var t : x.tensors()) {
                    var u = y.find(t.info().name()).orElseThrow(() -> new AssertionError(t.info().name()));
                    assertEquals(-1, t.data().mismatch(u.data()), t.info().name());
                }
            }
            VerifyReport v = Verifier.verify(b, Optional.of(sharded), 2);
            assertTrue(v.ok(), () -> v.failures().toString());
        }
    }

    @Test
    void shardGroupPartsAssembleToTheSingleRunBytes(@TempDir Path tmp) throws Exception {
        double[] r = unit(12);
        Path sharded = QuantizedFixtures.fp8BlockLlama(tmp.resolve("sharded"), 12, BM, BN, r, 7);
        for (boolean dequantize : new boolean[]{false, true}) {
            String tag = dequantize ? "bf16" : "fp8";
            Path whole = ablate(sharded, tmp, r, tmp.resolve("whole-" + tag), 1.0, dequantize, 2).out();
            Path parts = tmp.resolve("parts-" + tag);
            Files.writeString(tmp.resolve("direction.json"), java.util.Arrays.toString(r));
            for (String g : List.of("0/3", "1/3", "2/3")) {
                EditOptions o = new EditOptions(1.0, LayerSelection.ALL, Set.copyOf(EditOptions.ALL_COMPONENTS), TiedPolicy.UNTIE,
                        false, 2, true, dequantize);
                CheckpointEditor.ablate(new AblationRequest(sharded, tmp.resolve("direction.json").toString(), parts, false, o,
                        Optional.empty(), Optional.empty(), List.of("test"), Optional.of(dev.ortho.core.edit.ShardGroup.parse(g))),
                        ProgressListener.NONE);
            }
            Path joined = dev.ortho.core.edit.PartAssembler.assemble(List.of(parts), tmp.resolve("joined-" + tag), false, List.of("test")).out();
            try (var files = Files.list(whole)) {
                for (Path f : files.toList()) {
                    String name = f.getFileName().toString();
                    if (name.equals(Manifest.FILE_NAME)) continue;
                    assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(joined.resolve(name)), tag + " " + name);
                }
            }
            VerifyReport v = Verifier.verify(joined, Optional.of(sharded), 2);
            assertTrue(v.ok(), () -> v.failures().toString());
        }
    }

    @Test
    void aChangeBelowTheGridIsReportedAsLost(@TempDir Path tmp) throws Exception {
        double[] r = unit(8);
        Path model = QuantizedFixtures.fp8BlockLlama(tmp.resolve("in"), 8, 128, 128, null);
        CheckpointEditor.Result res = ablate(model, tmp, r, tmp.resolve("out"), 0.002, false, 1);
        for (String name : FP8_WRITERS) {
            EditedTensor e = edit(res.manifest(), name);
            assertTrue(e.quantized().survivedFraction() < 0.5, name + " survived " + e.quantized().survivedFraction());
            assertTrue(res.manifest().warnings().stream().anyMatch(w -> w.contains(name) && w.contains("survived requantization")
                    && w.contains("--dequantize-edited")), res.manifest().warnings().toString());
        }
    }

    @Test
    void verifyCatchesAnUneditedFp8WriterAndAForgedSurvivalClaim(@TempDir Path tmp) throws Exception {
        double[] r = unit(10);
        Path model = QuantizedFixtures.fp8BlockLlama(tmp.resolve("in"), 10, BM, BN, r);
        String victim = "model.layers.1.self_attn.o_proj.weight";

        // Forgery 1: the original FP8 bytes and scales put back, the shard's hash fixed in the manifest.
        Path out = ablate(model, tmp, r, tmp.resolve("out"), 1.0, false, 2).out();
        try (SafetensorsFile in = SafetensorsFile.open(model.resolve("model.safetensors"))) {
            overwrite(out.resolve("model.safetensors"), victim, bytes(in, victim));
            overwrite(out.resolve("model.safetensors"), victim + "_scale_inv", bytes(in, victim + "_scale_inv"));
        }
        fixHash(out, "model.safetensors");
        VerifyReport alone = Verifier.verify(out, Optional.empty(), 2);
        assertFalse(alone.ok());
        assertTrue(alone.failures().stream().allMatch(c -> c.subject().equals(victim) && c.kind().equals("leftover")), alone.failures().toString());
        VerifyReport withOriginal = Verifier.verify(out, Optional.of(model), 2);
        assertTrue(withOriginal.failures().stream().anyMatch(c -> c.subject().equals(victim) && c.kind().equals("projection")),
                withOriginal.failures().toString());

        // Forgery 2: a true output whose manifest claims more of the edit survived than did.
        Path out2 = ablate(model, tmp, r, tmp.resolve("out2"), 1.0, false, 2).out();
        Manifest m = ManifestJson.read(out2.resolve(Manifest.FILE_NAME));
        List<EditedTensor> edits = new ArrayList<>();
        for (EditedTensor e : m.edits()) {
            QuantizedEdit q = e.quantized();
            if (e.name().equals(victim)) {
                q = new QuantizedEdit(q.format(), q.fmt(), q.blockSize(), q.output(), q.scaleTensor(), q.deltaNorm(),
                        q.storedDeltaNorm(), q.survivedFraction() * 0.5 + 0.5, q.requantizationError(), q.componentBefore(), q.componentAfter());
            }
            edits.add(new EditedTensor(e.name(), e.file(), e.role(), e.layer(), e.dtype(), e.shape(), e.layout(),
                    e.frobeniusBefore(), e.frobeniusAfter(), e.maxLeftover(), q));
        }
        writeManifest(out2, withEdits(m, edits));
        VerifyReport claim = Verifier.verify(out2, Optional.of(model), 2);
        List<CheckResult> failures = claim.failures();
        assertEquals(1, failures.size(), failures.toString());
        assertEquals("survived", failures.get(0).kind());
        assertEquals(victim, failures.get(0).subject());
    }

    @Test
    void verifyCatchesForgedBf16OutputAndATamperedScale(@TempDir Path tmp) throws Exception {
        double[] r = unit(13);
        Path model = QuantizedFixtures.fp8BlockLlama(tmp.resolve("in"), 13, BM, BN, r);
        String victim = "model.layers.0.mlp.down_proj.weight";

        // --dequantize-edited output whose victim holds the unedited (dequantized original) values in BF16.
        Path bf16 = ablate(model, tmp, r, tmp.resolve("bf16"), 1.0, true, 2).out();
        byte[] original;
        try (SafetensorsFile in = SafetensorsFile.open(model.resolve("model.safetensors"))) {
            Expected x = expected(in, victim, r, 1.0);
            double[] w = new double[x.edited.length];
            TensorInfo t = in.header().find(victim).orElseThrow();
            byte[] codes = bytes(in, victim);
            float[] scales = floats(in, victim + "_scale_inv");
            int cols = (int) t.dim(1), sc = (cols + BN - 1) / BN;
            original = new byte[2 * w.length];
            MemorySegment o = MemorySegment.ofArray(original);
            for (int i = 0; i < w.length; i++) {
                double v = QuantizedFixtures.decodeE4m3(codes[i]) * scales[(i / cols / BM) * sc + (i % cols) / BN];
                o.setAtIndex(S, i, (short) (Float.floatToRawIntBits((float) bf16(v)) >>> 16));
            }
        }
        overwrite(bf16.resolve("model.safetensors"), victim, original);
        fixHash(bf16, "model.safetensors");
        VerifyReport alone = Verifier.verify(bf16, Optional.empty(), 2);
        assertTrue(alone.failures().stream().anyMatch(c -> c.subject().equals(victim) && c.kind().equals("leftover")), alone.failures().toString());
        VerifyReport withOriginal = Verifier.verify(bf16, Optional.of(model), 2);
        assertTrue(withOriginal.failures().stream().anyMatch(c -> c.subject().equals(victim) && c.kind().equals("projection")),
                withOriginal.failures().toString());

        // A requantized output whose victim's block scales were doubled (hash fixed): only the original can tell.
        Path fp8 = ablate(model, tmp, r, tmp.resolve("fp8"), 1.0, false, 2).out();
        byte[] scaleBytes;
        try (SafetensorsFile out = SafetensorsFile.open(fp8.resolve("model.safetensors"))) {
            float[] s = floats(out, victim + "_scale_inv");
            scaleBytes = new byte[4 * s.length];
            for (int i = 0; i < s.length; i++) MemorySegment.ofArray(scaleBytes).setAtIndex(F, i, 2 * s[i]);
        }
        overwrite(fp8.resolve("model.safetensors"), victim + "_scale_inv", scaleBytes);
        fixHash(fp8, "model.safetensors");
        VerifyReport scaled = Verifier.verify(fp8, Optional.of(model), 2);
        assertTrue(scaled.failures().stream().anyMatch(c -> c.subject().equals(victim) && c.detail().contains("block scales")),
                scaled.failures().toString());
    }

    // ------------------------------------------------------------------------ with the edit variants

    @Test
    void layerKernelGivesEachFp8WriterItsAlphaT(@TempDir Path tmp) throws Exception {
        double[] r = unit(21);
        Path model = QuantizedFixtures.fp8BlockLlama(tmp.resolve("in"), 21, BM, BN, r);
        // attn: 1 at layer 0, 0.5 at layer 1; mlp has no kernel: alpha (1) everywhere.
        LayerKernels kernels = LayerKernels.parse("attn=0:1:0.5:1");
        CheckpointEditor.Result res = ablate(model, tmp, r, tmp.resolve("out"), options(1.0, false, kernels, false));
        String half = "model.layers.1.self_attn.o_proj.weight";
        try (SafetensorsFile in = SafetensorsFile.open(model.resolve("model.safetensors"));
             SafetensorsFile out = SafetensorsFile.open(res.out().resolve("model.safetensors"))) {
            for (String name : FP8_WRITERS) {
                double alphaT = name.equals(half) ? 0.5 : 1.0;
                EditedTensor e = edit(res.manifest(), name);
                assertEquals(alphaT, e.alpha(), name);
                assertEquals(-1, e.basisLayer(), name);
                Expected x = expected(in, name, r, alphaT);
                assertArrayEquals(x.scales, floats(out, name + "_scale_inv"), 0f, name + " block scales");
                assertArrayEquals(x.codes, bytes(out, name), name + " codes");
            }
        }
        VerifyReport withOriginal = Verifier.verify(res.out(), Optional.of(model), 2);
        assertTrue(withOriginal.ok(), () -> withOriginal.failures().toString());
        VerifyReport alone = Verifier.verify(res.out(), Optional.empty(), 2);
        assertTrue(alone.ok(), () -> alone.failures().toString());

        // Forgery: the alpha_t = 0.5 writer replaced by its full (alpha 1) edit, hash fixed; the original tells.
        Path plain = ablate(model, tmp, r, tmp.resolve("plain"), 1.0, false, 2).out();
        try (SafetensorsFile full = SafetensorsFile.open(plain.resolve("model.safetensors"))) {
            overwrite(res.out().resolve("model.safetensors"), half, bytes(full, half));
            overwrite(res.out().resolve("model.safetensors"), half + "_scale_inv", bytes(full, half + "_scale_inv"));
        }
        fixHash(res.out(), "model.safetensors");
        VerifyReport forged = Verifier.verify(res.out(), Optional.of(model), 2);
        assertTrue(forged.failures().stream().anyMatch(c -> c.subject().equals(half) && c.kind().equals("projection")),
                forged.failures().toString());
    }

    @Test
    void severalDirectionsOrNormPreservingAreRefusedForFp8Writers(@TempDir Path tmp) throws Exception {
        Path model = QuantizedFixtures.fp8BlockLlama(tmp.resolve("in"), 22, BM, BN, null);
        Path a = tmp.resolve("a.json"), b = tmp.resolve("b.json");
        Files.writeString(a, java.util.Arrays.toString(unit(1)));
        Files.writeString(b, java.util.Arrays.toString(unit(2)));
        var two = new dev.ortho.core.edit.DirectionRequest(List.of(a.toString(), b.toString()), null, null);
        InvalidInputException k2 = assertThrows(InvalidInputException.class, () -> CheckpointEditor.ablate(new AblationRequest(model,
                two, tmp.resolve("k2"), false, options(1.0, false, null, false), Optional.empty(), Optional.empty(), List.of("test"),
                Optional.empty()), ProgressListener.NONE));
        assertTrue(k2.getMessage().contains("block-FP8") && k2.getMessage().contains("not 2"), k2.getMessage());
        InvalidInputException np = assertThrows(InvalidInputException.class, () -> ablate(model, tmp, unit(1), tmp.resolve("np"),
                options(1.0, true, null, false)));
        assertTrue(np.getMessage().contains("block-FP8") && np.getMessage().contains("--norm-preserving"), np.getMessage());
        assertFalse(Files.exists(tmp.resolve("k2")));
        assertFalse(Files.exists(tmp.resolve("np")));
    }

    @Test
    void verifyNeedsTheDequantizedModulesInTheConfigAndTheFp8Record(@TempDir Path tmp) throws Exception {
        double[] r = unit(23);
        Path model = QuantizedFixtures.fp8BlockLlama(tmp.resolve("in"), 23, BM, BN, r);
        Path bf16 = ablate(model, tmp, r, tmp.resolve("bf16"), 1.0, true, 2).out();
        VerifyReport ok = Verifier.verify(bf16, Optional.empty(), 2);
        assertTrue(ok.ok(), () -> ok.failures().toString());
        assertEquals(FP8_WRITERS.size(), ok.checks().stream().filter(c -> c.kind().equals("dequantized") && c.ok()).count());

        // Forgery: config.json no longer tells loaders to leave the BF16 modules unquantized (hash fixed).
        ObjectMapper json = new ObjectMapper();
        com.fasterxml.jackson.databind.node.ObjectNode config = (com.fasterxml.jackson.databind.node.ObjectNode)
                json.readTree(bf16.resolve("config.json").toFile());
        ((com.fasterxml.jackson.databind.node.ObjectNode) config.get("quantization_config")).remove("modules_to_not_convert");
        Files.write(bf16.resolve("config.json"), json.writeValueAsBytes(config));
        fixHash(bf16, "config.json");
        VerifyReport stripped = Verifier.verify(bf16, Optional.empty(), 2);
        assertEquals(Set.copyOf(FP8_WRITERS), stripped.failures().stream().filter(c -> c.kind().equals("dequantized"))
                .map(CheckResult::subject).collect(Collectors.toSet()), stripped.failures().toString());

        // Forgery: a requantized output whose manifest drops a writer's FP8 record.
        String victim = "model.layers.0.mlp.down_proj.weight";
        Path fp8 = ablate(model, tmp, r, tmp.resolve("fp8"), 1.0, false, 2).out();
        Manifest m = ManifestJson.read(fp8.resolve(Manifest.FILE_NAME));
        List<EditedTensor> edits = new ArrayList<>();
        for (EditedTensor e : m.edits()) {
            edits.add(!e.name().equals(victim) ? e : new EditedTensor(e.name(), e.file(), e.role(), e.layer(), e.dtype(), e.shape(),
                    e.layout(), e.frobeniusBefore(), e.frobeniusAfter(), e.maxLeftover(), e.alpha(), e.basisLayer(), null));
        }
        writeManifest(fp8, withEdits(m, edits));
        VerifyReport unrecorded = Verifier.verify(fp8, Optional.empty(), 2);
        assertTrue(unrecorded.failures().stream().anyMatch(c -> c.subject().equals(victim) && c.kind().equals("leftover")),
                unrecorded.failures().toString());
        VerifyReport unrecordedWithOriginal = Verifier.verify(fp8, Optional.of(model), 2);
        assertTrue(unrecordedWithOriginal.failures().stream().anyMatch(c -> c.subject().equals(victim) && c.kind().equals("projection")),
                unrecordedWithOriginal.failures().toString());
    }

    // ------------------------------------------------------------------------ the independent edit

    private record Expected(double[] edited, byte[] codes, float[] scales, double survived, double deltaNorm) {}

    /** W decoded from the input, W' = W − α r (rᵀW) (or per row for ROWS), requantized, all with test-side code. */
    private static Expected expected(SafetensorsFile in, String name, double[] r, double alpha) {
        TensorInfo t = in.header().find(name).orElseThrow();
        int rows = (int) t.dim(0), cols = (int) t.dim(1), sr = (rows + BM - 1) / BM, sc = (cols + BN - 1) / BN;
        byte[] codes = bytes(in, name);
        float[] scales = floats(in, name + "_scale_inv");
        assertEquals(sr * sc, scales.length);
        double[] w = new double[rows * cols], wp = new double[rows * cols];
        for (int h = 0; h < rows; h++) {
            for (int j = 0; j < cols; j++) w[h * cols + j] = QuantizedFixtures.decodeE4m3(codes[h * cols + j]) * scales[(h / BM) * sc + j / BN];
        }
        assertEquals(FixtureArch.HIDDEN, rows, "o_proj/down_proj are [hidden, in]");
        for (int j = 0; j < cols; j++) {
            double v = 0;
            for (int h = 0; h < rows; h++) v += r[h] * w[h * cols + j];
            for (int h = 0; h < rows; h++) wp[h * cols + j] = w[h * cols + j] - alpha * r[h] * v;
        }
        float[] newScales = new float[sr * sc];
        double[] amax = new double[sr * sc];
        for (int h = 0; h < rows; h++) for (int j = 0; j < cols; j++) {
            int k = (h / BM) * sc + j / BN;
            amax[k] = Math.max(amax[k], Math.abs(wp[h * cols + j]));
        }
        for (int k = 0; k < amax.length; k++) newScales[k] = amax[k] == 0 ? 1f : (float) (amax[k] / QuantizedFixtures.E4M3_MAX);
        byte[] q = new byte[rows * cols];
        double d2 = 0, along = 0;
        for (int h = 0; h < rows; h++) {
            for (int j = 0; j < cols; j++) {
                int i = h * cols + j;
                float s = newScales[(h / BM) * sc + j / BN];
                q[i] = QuantizedFixtures.encodeE4m3(wp[i] / s);
                double stored = QuantizedFixtures.decodeE4m3(q[i]) * s, d = wp[i] - w[i];
                d2 += d * d;
                along += (stored - w[i]) * d;
            }
        }
        return new Expected(wp, q, newScales, along / d2, Math.sqrt(d2));
    }

    /** Nearest BF16 (8 significant bits) of x, ties to even, from the definition. */
    private static double bf16(double x) {
        if (x == 0) return x;
        double ulp = Math.scalb(1.0, Math.getExponent(x) - 7);
        double lo = Math.floor(x / ulp) * ulp, hi = lo + ulp;
        double dl = x - lo, dh = hi - x;
        if (dl < dh) return lo;
        if (dh < dl) return hi;
        return ((long) Math.floor(x / ulp)) % 2 == 0 ? lo : hi;
    }

    // ------------------------------------------------------------------------------- plumbing

    private static CheckpointEditor.Result ablate(Path model, Path tmp, double[] r, Path out, double alpha, boolean dequantize,
                                                  int threads) throws Exception {
        EditOptions o = new EditOptions(alpha, LayerSelection.ALL, Set.copyOf(EditOptions.ALL_COMPONENTS), TiedPolicy.UNTIE,
                false, threads, true, dequantize);
        return ablate(model, tmp, r, out, o);
    }

    private static CheckpointEditor.Result ablate(Path model, Path tmp, double[] r, Path out, EditOptions o) throws Exception {
        Path dir = tmp.resolve("direction.json");
        Files.writeString(dir, java.util.Arrays.toString(r));
        return CheckpointEditor.ablate(new AblationRequest(model, dir.toString(), out, false, o, Optional.empty(),
                Optional.empty(), List.of("test")), ProgressListener.NONE);
    }

    private static EditOptions options(double alpha, boolean normPreserving, LayerKernels kernels, boolean dequantize) {
        return new EditOptions(alpha, LayerSelection.ALL, Set.copyOf(EditOptions.ALL_COMPONENTS), TiedPolicy.UNTIE,
                false, 2, true, normPreserving, kernels, dequantize);
    }

    /** A unit vector whose norm is 1 within 1e-6, so it is used exactly as written. */
    private static double[] unit(long seed) {
        double[] r = new SplittableRandom(seed).doubles(FixtureArch.HIDDEN, -1, 1).toArray();
        double n = 0;
        for (double v : r) n += v * v;
        n = Math.sqrt(n);
        for (int i = 0; i < r.length; i++) r[i] /= n;
        return r;
    }

    private static EditedTensor edit(Manifest m, String name) {
        return m.edits().stream().filter(e -> e.name().equals(name)).findFirst().orElseThrow(() -> new AssertionError(name));
    }

    private static byte[] bytes(SafetensorsFile f, String name) {
        return f.data(f.header().find(name).orElseThrow()).toArray(ValueLayout.JAVA_BYTE);
    }

    private static float[] floats(SafetensorsFile f, String name) {
        TensorInfo t = f.header().find(name).orElseThrow();
        assertEquals(DType.F32, t.dtype());
        MemorySegment s = f.data(t);
        float[] out = new float[(int) t.elementCount()];
        for (int i = 0; i < out.length; i++) out[i] = s.getAtIndex(F, i);
        return out;
    }

    private static void overwrite(Path file, String tensor, byte[] bytes) throws Exception {
        long at;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            TensorInfo t = f.header().find(tensor).orElseThrow();
            assertEquals(t.byteLength(), bytes.length);
            at = f.header().dataStart() + t.begin();
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(bytes), at);
        }
    }

    private static void fixHash(Path out, String file) throws Exception {
        Manifest m = ManifestJson.read(out.resolve(Manifest.FILE_NAME));
        byte[] data = Files.readAllBytes(out.resolve(file));
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        List<FileDigest> outputs = m.outputs().stream().map(d -> d.path().equals(file) ? new FileDigest(file, data.length, sha) : d).toList();
        writeManifest(out, new Manifest(m.format(), m.tool(), m.createdUtc(), m.commandLine(), m.operation(), m.inputs(),
                m.direction(), m.parameters(), m.edits(), outputs, m.warnings(), m.part()));
    }

    private static Manifest withEdits(Manifest m, List<EditedTensor> edits) {
        return new Manifest(m.format(), m.tool(), m.createdUtc(), m.commandLine(), m.operation(), m.inputs(),
                m.direction(), m.parameters(), edits, m.outputs(), m.warnings(), m.part());
    }

    private static void writeManifest(Path out, Manifest m) throws Exception {
        Files.write(out.resolve(Manifest.FILE_NAME), ManifestJson.toBytes(m));
    }
}
