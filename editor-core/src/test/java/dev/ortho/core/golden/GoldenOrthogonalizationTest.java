package dev.ortho.core.golden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ortho.core.edit.AblationRequest;
import dev.ortho.core.edit.CheckpointEditor;
import dev.ortho.core.edit.EditOptions;
import dev.ortho.core.edit.LayerSelection;
import dev.ortho.core.edit.ProgressListener;
import dev.ortho.core.edit.TiedPolicy;
import dev.ortho.core.provenance.EditedTensor;
import dev.ortho.core.verify.Verifier;
import dev.ortho.core.verify.VerifyReport;
import dev.ortho.formats.checkpoint.Checkpoint;
import dev.ortho.formats.checkpoint.TensorRef;
import dev.ortho.formats.config.ModelConfig;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Ablation with the golden direction reproduces transformers' orthogonalized weights bit for bit:
 * ortho/ (tied heads edited in place, edit-both) and ortho_untied/ (the default, untie).
 */
class GoldenOrthogonalizationTest {

    /** The newer golden folders (issue 10), beside the original eight. */
    static final List<String> NEWER = List.of("gemma3", "qwen2_moe", "mixtral_fused", "gpt_oss", "llama_rope3",
            "qwen2_yarn", "llama_dynamic");
    static final Set<String> TIED = Stream.concat(Golden.TIED.stream(), Stream.of("gemma3")).collect(Collectors.toSet());
    /** Post-norm writers: the edit is recorded as approximate. */
    static final Set<String> APPROXIMATE = Set.of("gemma2", "gemma3");

    static Stream<String> archs() { return Stream.concat(Stream.of(Golden.ARCHS), NEWER.stream()).distinct(); }

    static Stream<String> tiedArchs() { return archs().filter(TIED::contains); }

    @ParameterizedTest
    @MethodSource("archs")
    void reproducesOrthoBitForBit(String arch, @TempDir Path tmp) throws Exception {
        Path g = Golden.dir().resolve(arch);
        TiedPolicy policy = TIED.contains(arch) ? TiedPolicy.EDIT_BOTH : TiedPolicy.UNTIE;
        CheckpointEditor.Result r = ablate(g, tmp.resolve("out"), policy);
        assertEquals(expectedEdits(g), r.manifest().edits().stream().map(EditedTensor::name).collect(Collectors.toCollection(TreeSet::new)),
                "edited tensors must be exactly reference.json's ortho_edited_tensors");
        assertSameTensors(g.resolve("ortho"), r.out(), false);
        assertEquals(APPROXIMATE.contains(arch), r.plan().approximate());
        VerifyReport v = Verifier.verify(r.out(), Optional.of(g), 2);
        assertTrue(v.ok(), () -> "verify failed: " + v.failures());
    }

    @ParameterizedTest
    @MethodSource("tiedArchs")
    void untieReproducesOrthoUntied(String arch, @TempDir Path tmp) throws Exception {
        Path g = Golden.dir().resolve(arch);
        CheckpointEditor.Result r = ablate(g, tmp.resolve("out"), TiedPolicy.UNTIE);
        assertTrue(r.plan().tied() && r.plan().untied());
        assertSameTensors(g.resolve("ortho_untied"), r.out(), true);
        assertEquals(Optional.of(false), ModelConfig.read(r.out().resolve("config.json")).tieWordEmbeddingsRaw());
        VerifyReport v = Verifier.verify(r.out(), Optional.of(g), 1);
        assertTrue(v.ok(), () -> "verify failed: " + v.failures());
    }

    private static CheckpointEditor.Result ablate(Path golden, Path out, TiedPolicy policy) {
        EditOptions o = new EditOptions(1.0, LayerSelection.ALL, Set.copyOf(EditOptions.ALL_COMPONENTS), policy, true, 2);
        return CheckpointEditor.ablate(new AblationRequest(golden, golden.resolve("reference.safetensors") + ":direction",
                out, false, o, Optional.empty(), Optional.empty(), List.of("test")), ProgressListener.NONE);
    }

    private static Set<String> expectedEdits(Path g) throws Exception {
        JsonNode ref = new ObjectMapper().readTree(g.resolve("reference.json").toFile());
        Set<String> names = new TreeSet<>();
        for (Iterator<String> it = ref.get("ortho_edited_tensors").fieldNames(); it.hasNext(); ) names.add(it.next());
        return names;
    }

    /** Same tensor names, dtypes, shapes and bytes; with sameFile, the safetensors files are identical too. */
    private static void assertSameTensors(Path expectedDir, Path actualDir, boolean sameFile) throws Exception {
        try (Checkpoint e = Checkpoint.open(expectedDir); Checkpoint a = Checkpoint.open(actualDir)) {
            assertEquals(e.tensors().stream().map(t -> t.info().name()).sorted().toList(),
                    a.tensors().stream().map(t -> t.info().name()).sorted().toList());
            for (TensorRef t : e.tensors()) {
                TensorRef b = a.tensor(t.info().name());
                assertEquals(t.info().dtype(), b.info().dtype());
                assertEquals(t.info().shape(), b.info().shape());
                long m = t.data().mismatch(b.data());
                assertEquals(-1, m, () -> t.info().name() + " differs from " + expectedDir + " at byte " + m);
            }
        }
        if (sameFile) {
            assertArrayEquals(java.nio.file.Files.readAllBytes(expectedDir.resolve("model.safetensors")),
                    java.nio.file.Files.readAllBytes(actualDir.resolve("model.safetensors")));
        }
    }
}
