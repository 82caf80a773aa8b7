package dev.ortho.core.search;

import dev.ortho.core.direction.DirectionFiles;
import dev.ortho.core.edit.EditBasis;
import dev.ortho.core.edit.EditRecipe;
import dev.ortho.core.golden.Golden;
import dev.ortho.formats.checkpoint.Checkpoint;
import dev.ortho.formats.checkpoint.TensorRef;
import dev.ortho.formats.safetensors.DType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The fragility report's edit size against the golden Llama's orthogonalized weights, which transformers' float64
 * rule produced (ortho/): Σ ‖W' − W‖/‖W‖ over the edited tensors, read from the two checkpoints.
 */
class EditSizeGoldenTest {

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void relativeChangeEqualsTheGoldenEdit() {
        Path dir = Golden.dir().resolve("llama");
        double[] r = DirectionFiles.read(dir.resolve("reference.safetensors") + ":direction").values();
        EditRecipe plain = EditRecipe.plain(EditBasis.single(r));
        EditSize size = EditSize.of(dir, dev.ortho.core.arch.ArchChoice.detect(), plain);
        double expected = 0;
        int edited = 0;
        try (Checkpoint a = Checkpoint.open(dir); Checkpoint b = Checkpoint.open(dir.resolve("ortho"))) {
            for (TensorRef t : a.tensors()) {
                Optional<TensorRef> o = b.find(t.info().name());
                if (o.isEmpty() || t.info().dtype() != DType.F32) continue;
                double d = 0, n = 0;
                long count = t.info().elementCount();
                for (long i = 0; i < count; i++) {
                    double x = t.data().getAtIndex(F, i), y = o.get().data().getAtIndex(F, i);
                    d += (y - x) * (y - x);
                    n += x * x;
                }
                if (d > 0) {
                    edited++;
                    expected += Math.sqrt(d / n);
                }
            }
        }
        assertEquals(edited, size.tensors());
        assertEquals(1, size.rank());
        // ortho/ is rounded to float32 after the edit; the size is of the exact change: equal to ~1e-6 relative.
        assertEquals(expected, size.relativeChange(), 1e-5 * expected);
    }
}
