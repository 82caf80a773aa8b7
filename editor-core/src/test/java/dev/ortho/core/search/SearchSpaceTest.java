package dev.ortho.core.search;

import dev.ortho.core.edit.LayerKernel;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SearchSpaceTest {

    private static final SearchSpace SPACE = new SearchSpace(8, 5, 3, true, true);

    @Test
    void everyPointOfTheBoxIsAValidEdit() {
        Random rnd = new Random(1);
        for (int i = 0; i < 2000; i++) {
            double[] x = new double[SearchSpace.VARIABLES];
            for (int j = 0; j < x.length; j++) x[j] = i < 2 ? i : rnd.nextDouble();
            SearchPoint p = SPACE.decode(x);
            assertTrue(p.position() >= -5 && p.position() <= -1, p.toString());
            assertTrue(p.directionIndex() >= 1 && p.directionIndex() <= 7, p.toString());
            assertTrue(p.directions() >= 1 && p.directions() <= 3, p.toString());
            for (LayerKernel k : List.of(p.attn(), p.mlp())) {
                assertTrue(k.peak() >= 0 && k.peak() <= 7 && k.max() >= 0.5 && k.max() <= 1.5, k.toString());
                assertTrue(k.min() >= 0 && k.min() <= k.max() && k.distance() >= 0.5 && k.distance() <= 7.5, k.toString());
            }
            assertEquals(p.directions(), p.positions(5).stream().distinct().count());
        }
    }

    @Test
    void variantsThatAreNotAllowedAreNeverProposed() {
        SearchSpace plain = new SearchSpace(8, 5, 1, false, false);
        double[] x = new double[SearchSpace.VARIABLES];
        java.util.Arrays.fill(x, 1.0);
        SearchPoint p = plain.decode(x);
        assertFalse(p.biproject() || p.normPreserving());
        assertEquals(1, p.directions());
    }

    @Test
    void thePapersEditDecodesToItself() {
        for (int pos = -5; pos <= -1; pos++) {
            for (int layer = 1; layer < 8; layer++) {
                SearchPoint p = SPACE.decode(SPACE.encodePaper(pos, layer));
                assertEquals(pos, p.position());
                assertEquals(layer, p.directionIndex(), 0.0, "a whole layer, exactly");
                assertEquals(1, p.directions());
                assertFalse(p.biproject() || p.normPreserving());
                assertTrue(p.embed());
                for (int l = 0; l < 8; l++) {
                    assertEquals(1.0, p.attn().weight(l), 1e-12, "full strength at every layer");
                    assertEquals(1.0, p.mlp().weight(l), 1e-12);
                }
            }
        }
    }

    @Test
    void positionsWrapAndArgumentsAreExact() {
        SearchPoint p = new SearchPoint(-2, 4.123456789012345, 3, true, true, false, new LayerKernel(3.5, 1.2, 0.3, 2.25),
                new LayerKernel(5, 0.9, 0.1, 1.5));
        assertEquals(List.of(-2, -3, -4), p.positions(5));
        assertEquals(List.of(-2, -3, -1), p.positions(3));
        List<String> a = p.ablateArguments("c.safetensors", 5);
        assertEquals(List.of("--direction", "c.safetensors", "--direction-index", "4.123456789012345@-2",
                "--direction", "c.safetensors", "--direction-index", "4.123456789012345@-3",
                "--direction", "c.safetensors", "--direction-index", "4.123456789012345@-4",
                "--biproject", "c.safetensors", "--norm-preserving", "--layer-kernel", "attn=3.5:1.2:0.3:2.25,mlp=5.0:0.9:0.1:1.5",
                "--components", "attn,mlp,bias"), a);
        assertEquals(p.kernels(), dev.ortho.core.edit.LayerKernels.parse(a.get(a.size() - 3)), "kernels survive the round trip");
    }
}
