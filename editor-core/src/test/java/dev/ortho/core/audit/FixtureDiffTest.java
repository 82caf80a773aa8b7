package dev.ortho.core.audit;

import dev.ortho.core.direction.CandidateDirections;
import dev.ortho.core.pipeline.CandidatesFile;
import dev.ortho.fixtures.FixtureArch;
import dev.ortho.fixtures.FixtureCheckpoints;
import dev.ortho.formats.safetensors.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * ortho diff on generated Llama fixtures (hidden 32, 2 layers, untied): deltas of known structure, each made
 * here by an independent float64 computation, are reported for what they are, and not for what they are not.
 */
class FixtureDiffTest {

    static final int H = FixtureArch.HIDDEN;
    static final String EMBED = "model.embed_tokens.weight", HEAD = "lm_head.weight";
    static final String O0 = "model.layers.0.self_attn.o_proj.weight", DOWN0 = "model.layers.0.mlp.down_proj.weight";
    /** The residual writers of the Llama fixture and whether their write vectors are rows (else columns). */
    static final Map<String, Boolean> WRITERS = new LinkedHashMap<>();

    static {
        WRITERS.put(EMBED, true);
        for (int l = 0; l < FixtureArch.LAYERS; l++) {
            WRITERS.put("model.layers." + l + ".self_attn.o_proj.weight", false);
            WRITERS.put("model.layers." + l + ".mlp.down_proj.weight", false);
        }
    }

    @TempDir Path tmp;

    Path base(DType dtype) {
        return FixtureCheckpoints.write(tmp.resolve("base-" + dtype), FixtureArch.LLAMA, dtype, 7, 1);
    }

    static DiffReport diff(Path a, Path b) { return diff(a, b, Optional.empty(), Optional.empty()); }

    static DiffReport diff(Path a, Path b, Optional<String> direction, Optional<Path> candidates) {
        return CheckpointDiff.diff(new DiffRequest(a, b, Optional.empty(), Optional.empty(), direction, candidates, 2,
                DiffRequest.DEFAULT_ALIGNED));
    }

    static double[] unit(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] r = new double[H];
        double s = 0;
        for (int i = 0; i < H; i++) {
            r[i] = rnd.nextGaussian();
            s += r[i] * r[i];
        }
        for (int i = 0; i < H; i++) r[i] /= Math.sqrt(s);
        return r;
    }

    /**
     * EDIT-MATH.md's rule on one write vector, in float64: u = v - alpha (r.v) r; norm-preserving: (|v|/|u|) u.
     */
    static double[] edit(double[] v, double[] r, double alpha, boolean normPreserving) {
        double c = 0, vv = 0;
        for (int i = 0; i < v.length; i++) {
            c += r[i] * v[i];
            vv += v[i] * v[i];
        }
        double[] u = new double[v.length];
        double uu = 0;
        for (int i = 0; i < v.length; i++) {
            u[i] = v[i] - alpha * c * r[i];
            uu += u[i] * u[i];
        }
        if (normPreserving && uu > 0) {
            double s = Math.sqrt(vv) / Math.sqrt(uu);
            for (int i = 0; i < v.length; i++) u[i] *= s;
        }
        return u;
    }

    /** Applies {@link #edit} to every write vector (rows or columns of [hidden, in]) of a 2-D tensor. */
    static double[] editTensor(TestCheckpoints.T t, boolean rows, double[] r, double alpha, boolean normPreserving) {
        double[] w = t.values().clone();
        int n0 = t.rows(), n1 = t.cols();
        if (rows) {
            for (int j = 0; j < n0; j++) {
                double[] v = java.util.Arrays.copyOfRange(w, j * n1, (j + 1) * n1);
                System.arraycopy(edit(v, r, alpha, normPreserving), 0, w, j * n1, n1);
            }
        } else {
            for (int j = 0; j < n1; j++) {
                double[] v = new double[n0];
                for (int i = 0; i < n0; i++) v[i] = w[i * n1 + j];
                double[] e = edit(v, r, alpha, normPreserving);
                for (int i = 0; i < n0; i++) w[i * n1 + j] = e[i];
            }
        }
        return w;
    }

    Path orthogonalized(Path base, String name, double[] r, double alpha, boolean normPreserving) {
        Map<String, TestCheckpoints.T> m = TestCheckpoints.read(base);
        WRITERS.forEach((n, rows) -> m.put(n, m.get(n).with(editTensor(m.get(n), rows, r, alpha, normPreserving))));
        return TestCheckpoints.write(tmp.resolve(name), m.values(), base);
    }

    @Test
    void plainOrthogonalizationIsRank1ProjectionsAlongTheDirection() throws Exception {
        Path base = base(DType.BF16);
        double[] r = unit(3);
        Path other = orthogonalized(base, "plain", r, 1, false);
        Path dir = tmp.resolve("r.json");
        Files.writeString(dir, java.util.Arrays.toString(r));
        DiffReport d = diff(base, other, Optional.of(dir.toString()), Optional.empty());
        assertEquals(WRITERS.keySet(), new java.util.LinkedHashSet<>(d.rank1Tensors()));
        assertTrue(d.normPreservingTensors().isEmpty(), "a plain projection must not pass as norm-preserving");
        assertTrue(d.cosine() > 0.9999, "cos " + d.cosine());
        for (DiffReport.ChangedTensor c : d.changed()) assertTrue(c.analysis().projection().projection(), c.name());
        assertEquals("rank-1 orthogonalization along one direction of 5 of 5 residual writers (layers 0-1), embedding edited",
                d.verdict());
    }

    @Test
    void alphaIsFitted() {
        Path base = base(DType.F32);
        DiffReport d = diff(base, orthogonalized(base, "half", unit(5), 0.5, false));
        for (DiffReport.ChangedTensor c : d.changed()) assertEquals(0.5, c.analysis().projection().alpha(), 1e-5, c.name());
        assertTrue(d.verdict().contains("alpha 0.5000"), d.verdict());
    }

    @Test
    void normPreservingEditIsRecognized() {
        for (DType t : List.of(DType.F32, DType.BF16)) {
            Path base = base(t);
            double[] r = unit(11);
            DiffReport d = diff(base, orthogonalized(base, "np-" + t, r, 1, true));
            assertEquals(WRITERS.keySet(), java.util.Set.copyOf(d.normPreservingTensors()), t.name());
            for (DiffReport.ChangedTensor c : d.changed()) {
                assertFalse(c.analysis().projection().projection(), c.name() + " is not a plain projection");
                assertTrue(c.analysis().vectorNorms().maxAbsolute() <= FloatRounding.unitRoundoff(t) * 1.01, c.name());
                assertTrue(c.analysis().coordinateNorms().maxAbsolute() > 1e-3, "the other axis' norms do change");
            }
            assertTrue(CheckpointDiff.absCos(r, d.recoveredDirection().unit()) > 0.999);
            assertTrue(d.verdict().startsWith("norm-preserving orthogonalization along one direction of 5 of 5 residual writers"),
                    d.verdict());
        }
    }

    @Test
    void oneVectorOffItsNormBreaksNormPreservation() {
        Path base = base(DType.F32);
        Map<String, TestCheckpoints.T> m = TestCheckpoints.read(base);
        double[] r = unit(11);
        WRITERS.forEach((n, rows) -> m.put(n, m.get(n).with(editTensor(m.get(n), rows, r, 1, true))));
        // A forgery of a norm-preserving edit: one column of o_proj scaled by 1 + 1e-5 (far above F32 rounding).
        TestCheckpoints.T o = m.get(O0);
        double[] w = o.values().clone();
        for (int i = 0; i < H; i++) w[i * o.cols() + 3] *= 1 + 1e-5;
        m.put(O0, o.with(w));
        DiffReport d = diff(base, TestCheckpoints.write(tmp.resolve("forged"), m.values(), base));
        assertFalse(d.normPreservingTensors().contains(O0), "a changed norm must not pass");
        assertEquals(4, d.normPreservingTensors().size());
        assertFalse(d.verdict().startsWith("norm-preserving"), d.verdict());
    }

    @Test
    void loraDeltaIsRank16AndNotAProjection() {
        Path base = base(DType.F32);
        Map<String, TestCheckpoints.T> m = TestCheckpoints.read(base);
        TestCheckpoints.T down = m.get(DOWN0);
        int in = down.cols(), rank = 16;
        SplittableRandom rnd = new SplittableRandom(21);
        double[] b = new double[H * rank], a = new double[rank * in];
        for (int i = 0; i < b.length; i++) b[i] = 0.1 * rnd.nextGaussian();
        for (int i = 0; i < a.length; i++) a[i] = 0.1 * rnd.nextGaussian();
        double[] w = down.values().clone();
        for (int i = 0; i < H; i++) {
            for (int j = 0; j < in; j++) {
                double s = 0;
                for (int q = 0; q < rank; q++) s += b[i * rank + q] * a[q * in + j];
                w[i * in + j] += s;
            }
        }
        m.put(DOWN0, down.with(w));
        DiffReport d = diff(base, TestCheckpoints.write(tmp.resolve("lora"), m.values(), base));
        DeltaAnalysis x = d.changed().getFirst().analysis();
        assertEquals(16, x.effectiveRank());
        assertEquals(16, x.singularValues().size());
        assertTrue(x.shares().top16() > 1 - 1e-9 && x.shares().top4() < 0.9, x.shares().toString());
        assertFalse(x.projection().projection());
        assertTrue(d.rank1Tensors().isEmpty());
        assertTrue(d.verdict().startsWith("changes to 1 of 5 residual writers (layer 0): 1 other (effective rank up to 16)"),
                d.verdict());
    }

    @Test
    void rank1DeltaThatIsNoProjectionIsNotCalledOne() {
        Path base = base(DType.F32);
        Map<String, TestCheckpoints.T> m = TestCheckpoints.read(base);
        TestCheckpoints.T o = m.get(O0);
        double[] r = unit(8), v = new double[o.cols()];
        SplittableRandom rnd = new SplittableRandom(2);
        for (int j = 0; j < v.length; j++) v[j] = 0.05 * rnd.nextGaussian();
        double[] w = o.values().clone();
        for (int i = 0; i < H; i++) for (int j = 0; j < v.length; j++) w[i * v.length + j] -= r[i] * v[j];
        m.put(O0, o.with(w));
        DiffReport d = diff(base, TestCheckpoints.write(tmp.resolve("r1"), m.values(), base));
        DeltaAnalysis x = d.changed().getFirst().analysis();
        assertEquals(1, x.effectiveRank());
        assertFalse(x.projection().projection(), "rank 1 along r, but not -r (r^T W)");
        assertTrue(x.projection().relativeResidual() > 0.1);
        assertTrue(d.verdict().startsWith("changes to 1 of 5 residual writers (layer 0): 1 other (effective rank up to 1)"), d.verdict());
    }

    @Test
    void missingHeadAndMissingTensorAreReported() {
        Path base = base(DType.BF16);
        Map<String, TestCheckpoints.T> m = TestCheckpoints.read(base);
        m.remove(HEAD);
        m.remove("model.norm.weight");
        DiffReport d = diff(base, TestCheckpoints.write(tmp.resolve("missing"), m.values(), base));
        assertEquals(List.of("lm_head.weight", "model.norm.weight"), d.missing().stream().map(DiffReport.Tensor::name).sorted().toList());
        assertTrue(d.changed().isEmpty());
        assertEquals("no residual writer edited, embedding untouched, lm_head missing, 1 tensor missing", d.verdict());
    }

    @Test
    void dtypeChangeIsReportedAndRoundingIsNotAnEdit() {
        Path base = base(DType.F32);
        Map<String, TestCheckpoints.T> m = TestCheckpoints.read(base);
        m.replaceAll((n, t) -> t.as(DType.BF16));
        DiffReport d = diff(base, TestCheckpoints.write(tmp.resolve("bf16"), m.values(), base));
        assertEquals(m.size(), d.changed().size());
        for (DiffReport.ChangedTensor c : d.changed()) {
            assertEquals("F32", c.dtypeBefore());
            assertEquals("BF16", c.dtypeAfter());
            assertEquals(0, c.analysis().effectiveRank(), c.name() + ": a conversion is rounding only");
            assertTrue(c.note().contains("dtype changed from F32 to BF16"), c.note());
        }
        assertNull(d.recoveredDirection());
        assertTrue(d.verdict().startsWith("no residual writer edited, embedding changed, lm_head changed, 5 writers changed"
                + " within rounding only"), d.verdict());
        assertTrue(d.verdict().contains("dtype changed on " + m.size()), d.verdict());
    }

    @Test
    void shapeChangeAndAddedTensorAreReported() {
        Path base = base(DType.F32);
        Map<String, TestCheckpoints.T> m = TestCheckpoints.read(base);
        TestCheckpoints.T norm = m.get("model.norm.weight");
        m.put(norm.name(), new TestCheckpoints.T(norm.name(), DType.F32, new long[]{H + 1}, new double[H + 1]));
        m.put("extra.adapter", new TestCheckpoints.T("extra.adapter", DType.F32, new long[]{4}, new double[]{1, 2, 3, 4}));
        Path other = orthogonalizedFrom(base, m, unit(4));
        DiffReport d = diff(base, other);
        DiffReport.ChangedTensor c = d.changed().stream().filter(x -> x.name().equals(norm.name())).findFirst().orElseThrow();
        assertTrue(c.shapeChanged());
        assertNull(c.analysis());
        assertEquals(List.of("extra.adapter"), d.added().stream().map(DiffReport.Tensor::name).toList());
        assertEquals("rank-1 orthogonalization along one direction of 5 of 5 residual writers (layers 0-1), embedding edited,"
                + " 1 other tensor changed, shape changed on 1, 1 tensor added", d.verdict());
    }

    private Path orthogonalizedFrom(Path base, Map<String, TestCheckpoints.T> m, double[] r) {
        WRITERS.forEach((n, rows) -> m.put(n, m.get(n).with(editTensor(m.get(n), rows, r, 1, false))));
        return TestCheckpoints.write(tmp.resolve("shape"), m.values(), base);
    }

    @Test
    void writerEditedAlongAnotherDirectionDeviates() {
        Path base = base(DType.F32);
        Map<String, TestCheckpoints.T> m = TestCheckpoints.read(base);
        double[] r = unit(31), s = unit(32);
        WRITERS.forEach((n, rows) -> m.put(n, m.get(n).with(editTensor(m.get(n), rows, n.equals(O0) ? s : r, 1, false))));
        DiffReport d = diff(base, TestCheckpoints.write(tmp.resolve("dev"), m.values(), base));
        assertEquals(List.of(O0), d.deviating().stream().map(DiffReport.Deviation::name).toList());
        assertTrue(d.verdict().startsWith("changes to 5 of 5 residual writers (layers 0-1): 4 rank-1 projections along the common"
                + " direction, 1 other (effective rank up to 1), 1 deviating from the common direction"), d.verdict());
    }

    @Test
    void perLayerDirectionsAreComparedLayerByLayer() throws Exception {
        Path base = base(DType.F32);
        Map<String, TestCheckpoints.T> m = TestCheckpoints.read(base);
        double[][] rows = {unit(51), unit(52)};
        // The embedding uses layer 0's direction, as ablate does with a [layers, hidden] file.
        WRITERS.forEach((n, isRows) -> m.put(n, m.get(n).with(editTensor(m.get(n), isRows,
                n.startsWith("model.layers.1.") ? rows[1] : rows[0], 1, false))));
        Path dir = tmp.resolve("per-layer.json");
        Files.writeString(dir, "[" + java.util.Arrays.toString(rows[0]) + "," + java.util.Arrays.toString(rows[1]) + "]");
        DiffReport d = diff(base, TestCheckpoints.write(tmp.resolve("per-layer"), m.values(), base), Optional.of(dir.toString()),
                Optional.empty());
        assertEquals(2, d.directionCosines().size());
        for (DiffReport.ChangedTensor c : d.changed()) assertTrue(c.cosineWithDirection() > 0.99999, c.name());
        assertFalse(d.deviating().isEmpty(), "two directions cannot both be the common one");
        assertFalse(d.verdict().startsWith("rank-1 orthogonalization along one direction"), d.verdict());
    }

    @Test
    void resultDoesNotDependOnTheThreadCount() {
        Path base = base(DType.BF16);
        Path other = orthogonalized(base, "threads", unit(12), 1, false);
        DiffReport one = CheckpointDiff.diff(new DiffRequest(base, other, Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), 1, DiffRequest.DEFAULT_ALIGNED));
        DiffReport three = CheckpointDiff.diff(new DiffRequest(base, other, Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), 3, DiffRequest.DEFAULT_ALIGNED));
        assertEquals(one.changed(), three.changed());
        assertArrayEquals(one.recoveredDirection().unit(), three.recoveredDirection().unit());
        assertEquals(one.verdict(), three.verdict());
    }

    @Test
    void resharedIdenticalCheckpointIsIdentical() {
        Path base = base(DType.BF16);
        Path sharded = FixtureCheckpoints.write(tmp.resolve("sharded"), FixtureArch.LLAMA, DType.BF16, 7, 3);
        DiffReport d = diff(base, sharded);
        assertTrue(d.changed().isEmpty() && d.added().isEmpty() && d.missing().isEmpty());
        assertTrue(d.verdict().startsWith("identical: all "), d.verdict());
    }

    @Test
    void candidatesAreRankedByCosine() {
        Path base = base(DType.F32);
        double[] r = unit(40);
        int positions = 2, layers = FixtureArch.LAYERS;
        List<Double> values = new ArrayList<>();
        for (int p = 0; p < positions; p++) {
            for (int l = 0; l < layers; l++) {
                double[] c = p == 1 && l == 0 ? r.clone() : unit(100 + p * layers + l);
                for (int i = 0; i < H; i++) values.add(c[i] * 3); // candidates are unnormalized
            }
        }
        Path cands = tmp.resolve("candidates.safetensors");
        CandidatesFile.write(cands, new CandidateDirections(positions, layers, H,
                values.stream().mapToDouble(Double::doubleValue).toArray()), Map.of());
        DiffReport d = diff(base, orthogonalized(base, "cand", r, 1, false), Optional.empty(), Optional.of(cands));
        DiffReport.CandidateCosine best = d.candidateCosines().getFirst();
        assertEquals(-1, best.position());
        assertEquals(0, best.layer());
        assertTrue(best.cosine() > 0.99999);
        assertTrue(d.candidateCosines().get(1).cosine() < 0.9);
    }
}
