package dev.ortho.core.edit;

import dev.ortho.core.provenance.EditedTensor;
import dev.ortho.core.verify.Verifier;
import dev.ortho.core.verify.VerifyReport;
import dev.ortho.fixtures.FixtureArch;
import dev.ortho.fixtures.FixtureCheckpoints;
import dev.ortho.fixtures.TensorDef;
import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.safetensors.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** Every supported architecture, on generated checkpoints: the right writers, a correct edit, verified. */
class FixtureEditTest {

    static Stream<Arguments> cases() {
        return Arrays.stream(FixtureArch.values()).flatMap(a -> Stream.of(
                Arguments.of(a, DType.F32, 1), Arguments.of(a, DType.BF16, 3), Arguments.of(a, DType.F16, 1)));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void editsExactlyTheWritersAndVerifies(FixtureArch arch, DType dtype, int shards, @TempDir Path tmp) throws Exception {
        Path model = FixtureCheckpoints.write(tmp.resolve("in"), arch, dtype, 7, shards);
        Path dir = writeDirection(tmp, FixtureArch.HIDDEN, 11);
        boolean postNorm = arch == FixtureArch.GEMMA2 || arch == FixtureArch.GEMMA3;
        EditOptions o = new EditOptions(1.0, LayerSelection.ALL, Set.copyOf(EditOptions.ALL_COMPONENTS), TiedPolicy.UNTIE, postNorm, 2);
        CheckpointEditor.Result r = CheckpointEditor.ablate(new AblationRequest(model, dir.toString(), tmp.resolve("out"), false, o,
                Optional.empty(), Optional.empty(), List.of("test")), ProgressListener.NONE);

        assertEquals(arch.specName(), r.plan().spec().name());
        Set<String> expected = arch.tensors().stream().filter(TensorDef::writer).map(TensorDef::name).collect(Collectors.toCollection(TreeSet::new));
        Set<String> edited = r.manifest().edits().stream().map(EditedTensor::name).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(expected, edited, "edited set must equal the fixture's residual writers");
        assertEquals(arch.tied(), r.plan().untied());
        assertTrue(r.manifest().warnings().stream().noneMatch(w -> w.contains("looks like a residual-stream writer")), r.manifest().warnings().toString());
        assertEquals(postNorm, r.plan().approximate());

        VerifyReport v = Verifier.verify(r.out(), Optional.of(model), 2);
        assertTrue(v.ok(), () -> v.failures().toString());
        assertTrue(Files.list(tmp).noneMatch(p -> p.getFileName().toString().contains("ortho-tmp")), "temporary directory left behind");
    }

    @Test
    void outputIsByteIdenticalWhateverTheThreadCount(@TempDir Path tmp) throws Exception {
        Path model = FixtureCheckpoints.write(tmp.resolve("in"), FixtureArch.QWEN2_MOE, DType.BF16, 3, 2);
        Path dir = writeDirection(tmp, FixtureArch.HIDDEN, 5);
        byte[][] first = null;
        for (int threads : new int[]{1, 2, 8}) {
            for (int run = 0; run < 2; run++) {
                Path out = tmp.resolve("out-" + threads + "-" + run);
                EditOptions o = EditOptions.defaults().withThreads(threads);
                CheckpointEditor.ablate(new AblationRequest(model, dir.toString(), out, false, o, Optional.empty(),
                        Optional.empty(), List.of("test")), ProgressListener.NONE);
                byte[][] bytes = {Files.readAllBytes(out.resolve("model-00001-of-00002.safetensors")),
                        Files.readAllBytes(out.resolve("model-00002-of-00002.safetensors")),
                        Files.readAllBytes(out.resolve("model.safetensors.index.json"))};
                if (first == null) first = bytes;
                for (int i = 0; i < bytes.length; i++) assertArrayEquals(first[i], bytes[i], "threads=" + threads + " file " + i);
            }
        }
    }

    @Test
    void postNormArchitecturesAreRefusedUnlessApproximateIsAllowed(@TempDir Path tmp) throws Exception {
        Path model = FixtureCheckpoints.write(tmp.resolve("in"), FixtureArch.GEMMA2, DType.F32, 1, 1);
        Path dir = writeDirection(tmp, FixtureArch.HIDDEN, 1);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> CheckpointEditor.ablate(new AblationRequest(
                model, dir.toString(), tmp.resolve("out"), false, EditOptions.defaults(), Optional.empty(), Optional.empty(),
                List.of()), ProgressListener.NONE));
        assertTrue(e.getMessage().contains("--allow-approximate"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("out")));
        // Embeddings alone are exact, so they are allowed.
        EditOptions embedOnly = new EditOptions(1.0, LayerSelection.ALL, Set.of("embed"), TiedPolicy.UNTIE, false, 1);
        CheckpointEditor.Result r = CheckpointEditor.ablate(new AblationRequest(model, dir.toString(), tmp.resolve("out"), false,
                embedOnly, Optional.empty(), Optional.empty(), List.of()), ProgressListener.NONE);
        assertEquals(List.of("model.embed_tokens.weight"), r.manifest().edits().stream().map(EditedTensor::name).toList());
    }

    @Test
    void layersAndComponentsSelectTheEditedTensors(@TempDir Path tmp) throws Exception {
        Path model = FixtureCheckpoints.write(tmp.resolve("in"), FixtureArch.GPT2, DType.F32, 1, 1);
        Path dir = writeDirection(tmp, FixtureArch.HIDDEN, 2);
        EditOptions o = new EditOptions(0.5, LayerSelection.parse("1"), Set.of("attn", "bias"), TiedPolicy.SKIP_EMBEDDING, false, 1);
        CheckpointEditor.Result r = CheckpointEditor.ablate(new AblationRequest(model, dir.toString(), tmp.resolve("out"), false,
                o, Optional.empty(), Optional.empty(), List.of()), ProgressListener.NONE);
        assertEquals(Set.of("transformer.h.1.attn.c_proj.weight", "transformer.h.1.attn.c_proj.bias", "transformer.h.1.mlp.c_proj.bias"),
                r.manifest().edits().stream().map(EditedTensor::name).collect(Collectors.toSet()));
        assertFalse(r.plan().untied());
        VerifyReport v = Verifier.verify(r.out(), Optional.of(model), 1);
        assertTrue(v.ok(), () -> v.failures().toString());
    }

    static Path writeDirection(Path tmp, int hidden, long seed) throws Exception {
        SplittableRandom rnd = new SplittableRandom(seed);
        String json = rnd.doubles(hidden, -1, 1).mapToObj(Double::toString).collect(Collectors.joining(",", "[", "]"));
        Path p = tmp.resolve("direction-" + seed + ".json");
        Files.writeString(p, json);
        return p;
    }
}
