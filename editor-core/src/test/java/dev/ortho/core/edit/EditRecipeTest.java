package dev.ortho.core.edit;

import dev.ortho.core.arch.Role;
import dev.ortho.core.direction.CandidateDirections;
import dev.ortho.core.direction.Float64TensorFile;
import dev.ortho.core.pipeline.CandidatesFile;
import dev.ortho.formats.InvalidInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** Bases, kernels and direction sources of the edit variants, each against a float64 computation written here. */
class EditRecipeTest {

    @Test
    void gramSchmidtInTheOrderGiven() {
        double[] a = {3, 0, 0, 4}, b = {1, 1, 0, 0}, c = {0, 1, 1, 1};
        List<double[]> q = EditBasis.orthonormalize(List.of(a, b, c), "d");
        assertArrayEquals(new double[]{0.6, 0, 0, 0.8}, q.get(0), 1e-15, "q1 = r1/|r1|");
        // q2: b minus its q1 component, normalized.
        double c1 = 0.6;
        double[] u = {1 - c1 * 0.6, 1, 0, -c1 * 0.8};
        double nu = Math.sqrt(u[0] * u[0] + u[1] * u[1] + u[3] * u[3]);
        for (int i = 0; i < 4; i++) assertEquals(u[i] / nu, q.get(1)[i], 1e-15);
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                double d = 0;
                for (int h = 0; h < 4; h++) d += q.get(i)[h] * q.get(j)[h];
                assertEquals(i == j ? 1 : 0, d, 1e-14);
            }
        }
        // Another order gives another first vector: the order is part of the definition.
        assertArrayEquals(new double[]{Math.sqrt(0.5), Math.sqrt(0.5), 0, 0},
                EditBasis.orthonormalize(List.of(b, a), "d").getFirst(), 1e-15);
    }

    @Test
    void dependentDirectionIsRefused() {
        double[] a = {1, 2, 3}, b = {0, 1, 0};
        double[] sum = {2, 5, 6};  // 2a + b
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> EditBasis.orthonormalize(List.of(a, b, sum), "--direction"));
        assertTrue(e.getMessage().contains("#3") && e.getMessage().contains("span"), e.getMessage());
        assertDoesNotThrow(() -> EditBasis.orthonormalize(List.of(a, b, new double[]{2, 5, 6.001}), "--direction"));
    }

    @Test
    void kernelShapeAndSpecs(@TempDir Path tmp) throws Exception {
        LayerKernel k = new LayerKernel(10, 1.0, 0.2, 4);
        assertEquals(1.0, k.weight(10));
        assertEquals(1.0 + (0.2 - 1.0) * 2 / 4, k.weight(12), 1e-15);
        assertEquals(0.2, k.weight(6), 1e-15);
        assertEquals(0.0, k.weight(15));
        assertEquals(0.0, k.weight(5));
        LayerKernels ks = LayerKernels.parse("attn=10:1.0:0.2:4,mlp=3:0.5:0.5:0");
        assertEquals(k, ks.attn());
        assertEquals(0.5, ks.weight("mlp", 3));
        assertEquals(0.0, ks.weight("mlp", 4));
        assertEquals(1.0, ks.weight("embed", 4));
        Path json = tmp.resolve("k.json");
        Files.writeString(json, "{\"attn\": {\"peak\": 10, \"max\": 1.0, \"min\": 0.2, \"distance\": 4}}");
        LayerKernels fromFile = LayerKernels.parse(json.toString());
        assertEquals(k, fromFile.attn());
        assertNull(fromFile.mlp());
        assertThrows(InvalidInputException.class, () -> LayerKernels.parse("attn=1:2:3"));
        assertThrows(InvalidInputException.class, () -> LayerKernels.parse("head=1:2:3:4"));
        assertThrows(InvalidInputException.class, () -> LayerKernels.parse("attn=1:1:1:-1"));
    }

    @Test
    void perTensorAlphaFollowsTheWriterComponent() {
        EditRecipe r = new EditRecipe(EditBasis.single(new double[]{1, 0}), 0.5, LayerKernels.parse("attn=2:1:0:2,mlp=0:2:2:0"),
                false, LayerSelection.ALL, java.util.Set.copyOf(EditOptions.ALL_COMPONENTS));
        assertEquals(0.5, r.alphaFor(Role.EMBEDDING, "model.embed_tokens.weight", -1));
        assertEquals(0.5 * 0.5, r.alphaFor(Role.ATTN_OUT, "model.layers.1.self_attn.o_proj.weight", 1));
        assertEquals(0.5 * 0.5, r.alphaFor(Role.WRITER_BIAS, "model.layers.1.self_attn.o_proj.bias", 1));
        assertEquals(1.0, r.alphaFor(Role.MLP_OUT, "model.layers.0.mlp.down_proj.weight", 0));
        assertEquals(1.0, r.alphaFor(Role.WRITER_BIAS, "transformer.h.0.mlp.c_proj.bias", 0));
        assertEquals(0.0, r.alphaFor(Role.MLP_OUT, "model.layers.1.mlp.down_proj.weight", 1));
        double[][] a = r.activationAlphas(3);
        assertArrayEquals(new double[]{0.5, 0.0, 1.0}, a[0]);
        assertArrayEquals(new double[]{0.0, 0.25, 0.0}, a[1]);
        assertArrayEquals(new double[]{0.0, 0.5, 0.0}, a[2]);
    }

    @Test
    void fractionalIndexAndBiprojection(@TempDir Path tmp) {
        int n = 2, layers = 3, hidden = 5;
        SplittableRandom rnd = new SplittableRandom(5);
        double[] diffs = rnd.doubles((long) n * layers * hidden, -1, 1).toArray();
        double[] harmless = rnd.doubles((long) n * layers * hidden, -1, 1).toArray();
        Path file = tmp.resolve("candidates.safetensors");
        CandidatesFile.write(file, new CandidateDirections(n, layers, hidden, diffs), harmless, Map.of());

        // 1.25 at position -1: 0.75·r̂₁ + 0.25·r̂₂, renormalized.
        DirectionResolver.Resolved r = DirectionResolver.resolve(
                new DirectionRequest(List.of(file.toString()), List.of("1.25"), null), hidden, layers);
        double[] r1 = unit(slice(diffs, n, layers, hidden, -1, 1)), r2 = unit(slice(diffs, n, layers, hidden, -1, 2));
        double[] mix = new double[hidden];
        for (int h = 0; h < hidden; h++) mix[h] = 0.75 * r1[h] + 0.25 * r2[h];
        assertArrayEquals(unit(mix), r.basis().forLayer(0).getFirst(), 1e-15);
        assertFalse(r.basis().isPerLayer());
        assertEquals("1.25", r.record().sources().getFirst().index());

        // Position -2, integer layer: the normalized candidate itself.
        r = DirectionResolver.resolve(new DirectionRequest(List.of(file.toString()), List.of("2@-2"), null), hidden, layers);
        assertArrayEquals(unit(slice(diffs, n, layers, hidden, -2, 2)), r.basis().forLayer(0).getFirst(), 1e-15);

        // Biprojection: per layer l, r − (r·m̂_l) m̂_l with m̂_l the normalized harmless mean at position -1.
        r = DirectionResolver.resolve(new DirectionRequest(List.of(file.toString()), List.of("1"), file.toString()), hidden, layers);
        assertTrue(r.basis().isPerLayer());
        assertTrue(r.record().perLayer());
        assertNotNull(r.record().biproject());
        for (int l = 0; l < layers; l++) {
            double[] m = unit(slice(harmless, n, layers, hidden, -1, l));
            double c = dot(r1, m);
            double[] expected = new double[hidden];
            for (int h = 0; h < hidden; h++) expected[h] = r1[h] - c * m[h];
            double[] got = r.basis().forLayer(l).getFirst();
            assertArrayEquals(unit(expected), got, 1e-15, "layer " + l);
            assertEquals(0, dot(got, m), 1e-15, "orthogonal to the harmless mean");
            assertEquals(l, r.basis().basisLayer(l));
        }
        assertEquals(0, r.basis().basisLayer(-1), "embeddings use layer 0's basis");

        assertThrows(InvalidInputException.class, () -> DirectionResolver.resolve(
                new DirectionRequest(List.of(file.toString()), List.of("2.5"), null), hidden, layers), "index beyond the last layer");
        assertThrows(InvalidInputException.class, () -> DirectionResolver.resolve(
                new DirectionRequest(List.of(file.toString()), List.of("1@-3"), null), hidden, layers), "position out of range");
        assertThrows(InvalidInputException.class, () -> new DirectionRequest(List.of("a", "b"), List.of("1"), null));
    }

    @Test
    void biprojectWithoutHarmlessMeansIsAClearError(@TempDir Path tmp) {
        Path file = tmp.resolve("old.safetensors");
        CandidatesFile.write(file, new CandidateDirections(1, 2, 3, new double[]{1, 0, 0, 0, 1, 0}), Map.of());
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> DirectionResolver.resolve(
                new DirectionRequest(List.of(file.toString()), List.of("0"), file.toString()), 3, 2));
        assertTrue(e.getMessage().contains("harmless_means"), e.getMessage());
    }

    @Test
    void severalDirectionFilesGiveTheirSpan(@TempDir Path tmp) {
        Path a = tmp.resolve("a.safetensors"), b = tmp.resolve("b.safetensors");
        Float64TensorFile.write(a, Map.of(), List.of(new Float64TensorFile.Tensor("direction", new long[]{3}, new double[]{2, 0, 0})), "t");
        Float64TensorFile.write(b, Map.of(), List.of(new Float64TensorFile.Tensor("direction", new long[]{3}, new double[]{1, 1, 0})), "t");
        DirectionResolver.Resolved r = DirectionResolver.resolve(new DirectionRequest(List.of(a.toString(), b.toString()), List.of(), null), 3, 4);
        assertEquals(2, r.basis().k());
        assertArrayEquals(new double[]{1, 0, 0}, r.basis().forLayer(3).get(0), 1e-15);
        assertArrayEquals(new double[]{0, 1, 0}, r.basis().forLayer(3).get(1), 1e-15);
        assertEquals(2, r.record().sources().size());
        assertEquals(-1, r.basis().basisLayer(2));
    }

    private static double[] slice(double[] t, int n, int layers, int hidden, int pos, int layer) {
        int off = ((pos + n) * layers + layer) * hidden;
        return java.util.Arrays.copyOfRange(t, off, off + hidden);
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    private static double[] unit(double[] v) {
        double n = Math.sqrt(dot(v, v));
        double[] o = new double[v.length];
        for (int i = 0; i < v.length; i++) o[i] = v[i] / n;
        return o;
    }
}
