package dev.ortho.core.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ortho.core.direction.DirectionFiles;
import dev.ortho.core.golden.Golden;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * ortho diff on transformers' orthogonalized golden checkpoints: the direction recovered from the weight
 * deltas alone matches reference.safetensors' direction, every edited tensor (and only those, per
 * reference.json) is reported as a rank-1 projection with alpha 1, and the verdict says so.
 */
class GoldenDiffTest {

    static Stream<String> archs() { return Stream.of(Golden.ARCHS); }

    static Stream<String> tiedArchs() { return Stream.of(Golden.ARCHS).filter(Golden.TIED::contains); }

    @ParameterizedTest
    @MethodSource("archs")
    void recoversTheDirectionOfOrtho(String arch) throws Exception {
        Path g = Golden.dir().resolve(arch);
        String direction = g.resolve("reference.safetensors") + ":direction_f64";
        DiffReport r = CheckpointDiff.diff(new DiffRequest(g, g.resolve("ortho"), Optional.empty(), Optional.empty(),
                Optional.of(direction), Optional.empty(), 2, DiffRequest.DEFAULT_ALIGNED));
        double[] reference = DirectionFiles.read(direction).values();
        double cos = CheckpointDiff.absCos(reference, r.recoveredDirection().unit());
        assertTrue(cos >= 0.99999, arch + ": |cos| " + cos);
        assertEquals(cos, r.cosine(), 1e-12);
        assertTrue(r.recoveredDirection().share() > 0.999, () -> "share " + r.recoveredDirection().share());

        Set<String> expected = editedTensors(g);
        Set<String> changed = new TreeSet<>();
        for (DiffReport.ChangedTensor c : r.changed()) {
            changed.add(c.name());
            assertTrue(c.writer(), c.name());
            DeltaAnalysis a = c.analysis();
            assertEquals(1, a.effectiveRank(), c.name());
            assertTrue(a.projection().projection(), () -> c.name() + ": " + a.projection());
            // A bias is one vector: its own direction carries the rounding of a small delta, so alpha is looser there.
            assertEquals(1.0, a.projection().alpha(), a.vectors() == 1 ? 1e-4 : 1e-6, c.name());
            assertFalse(a.normPreserving(), c.name() + " is a plain projection, not norm-preserving");
            assertTrue(c.cosineWithCommon() > 0.99999, c.name());
            assertTrue(c.cosineWithDirection() > 0.99999, c.name());
        }
        assertEquals(expected, changed);
        assertEquals(expected, new TreeSet<>(r.rank1Tensors()));
        assertTrue(r.added().isEmpty() && r.missing().isEmpty() && r.deviating().isEmpty());
        assertTrue(r.normPreservingTensors().isEmpty());
        String of = " of " + expected.size() + " of " + r.residualWriters() + " residual writers (layers 0-2)";
        assertTrue(r.verdict().startsWith("rank-1 orthogonalization along one direction" + of), r.verdict());
        assertTrue(r.verdict().contains("embedding edited"), r.verdict());
    }

    @ParameterizedTest
    @MethodSource("tiedArchs")
    void untiedHeadIsReportedAdded(String arch) throws Exception {
        Path g = Golden.dir().resolve(arch);
        DiffReport r = CheckpointDiff.diff(new DiffRequest(g, g.resolve("ortho_untied"), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), 1, DiffRequest.DEFAULT_ALIGNED));
        assertEquals(1, r.added().size());
        assertEquals("LM_HEAD", r.added().getFirst().role());
        assertTrue(r.verdict().contains("lm_head added"), r.verdict());
        assertTrue(r.verdict().startsWith("rank-1 orthogonalization along one direction"), r.verdict());
        double[] reference = DirectionFiles.read(g.resolve("reference.safetensors") + ":direction_f64").values();
        assertTrue(CheckpointDiff.absCos(reference, r.recoveredDirection().unit()) >= 0.99999);
    }

    private static Set<String> editedTensors(Path g) throws Exception {
        JsonNode ref = new ObjectMapper().readTree(Files.readString(g.resolve("reference.json")));
        Set<String> names = new TreeSet<>();
        for (Iterator<String> it = ref.get("ortho_edited_tensors").fieldNames(); it.hasNext(); ) names.add(it.next());
        return names;
    }
}
