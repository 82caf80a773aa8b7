package dev.ortho.core.verify;

import dev.ortho.core.arch.Role;
import dev.ortho.core.edit.ProjectionLayout;
import dev.ortho.formats.safetensors.DType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The verification reference on small cases worked by hand, the EDIT-MATH variants, and the equivalence verdict. */
class ReferenceEditTest {

    private static ExpectedEdit edit(double alpha, List<double[]> basis, boolean normPreserving, Role role) {
        return new ExpectedEdit("t", role, 0, ProjectionLayout.ROWS, alpha, basis, -1, normPreserving);
    }

    @Test
    void removesTheComponentsAlongAnOrthonormalBasis() {
        double[] v = {3, 4, 5};
        double[] u = ReferenceEdit.edit(v, edit(1, List.of(new double[]{1, 0, 0}, new double[]{0, 1, 0}), false, Role.ATTN_OUT));
        assertArrayEquals(new double[]{0, 0, 5}, u);
        double[] half = ReferenceEdit.edit(v, edit(0.5, List.of(new double[]{1, 0, 0}), false, Role.ATTN_OUT));
        assertArrayEquals(new double[]{1.5, 4, 5}, half);
    }

    @Test
    void normPreservingRescalesToTheOriginalNormExceptBiases() {
        double[] v = {3, 4, 0};
        double[] u = ReferenceEdit.edit(v, edit(1, List.of(new double[]{1, 0, 0}), true, Role.MLP_OUT));
        assertArrayEquals(new double[]{0, 5, 0}, u, 1e-15);
        double[] b = ReferenceEdit.edit(v, edit(1, List.of(new double[]{1, 0, 0}), true, Role.WRITER_BIAS));
        assertArrayEquals(new double[]{0, 4, 0}, b);
    }

    @Test
    void roundingToNarrowTypesIsNearestEven() {
        for (float f : new float[]{1.1f, -3.7e-3f, 65000f, 1e-6f, 6e-8f}) {
            assertEquals(Float.float16ToFloat(Float.floatToFloat16(f)), ReferenceEdit.round(DType.F16, f), "F16 " + f);
        }
        double d = 1.0 + 0x1p-8; // halfway between two BF16 values: ties to even
        assertEquals(1.0, ReferenceEdit.round(DType.BF16, d));
        assertEquals(1.0 + 0x1p-6, ReferenceEdit.round(DType.BF16, 1.0 + 3 * 0x1p-8));
        assertEquals(Double.POSITIVE_INFINITY, ReferenceEdit.round(DType.F16, 65520.0));
        assertEquals(65504.0, ReferenceEdit.round(DType.F16, 65519.0));
    }

    @Test
    void columnsLayoutAndATwoUlpPerturbation() {
        // A [4, 3] nn.Linear-style F32 tensor, edited by hand: each column loses its component along r.
        SplittableRandom rnd = new SplittableRandom(7);
        int n = 4, cols = 3;
        float[] w = new float[n * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        double[] r = {0.5, 0.5, 0.5, 0.5};
        ExpectedEdit e = new ExpectedEdit("w", Role.MLP_OUT, 0, ProjectionLayout.COLUMNS, 1, List.of(r), -1, false);
        float[] out = new float[w.length];
        for (int c = 0; c < cols; c++) {
            double dot = 0;
            for (int h = 0; h < n; h++) dot += r[h] * w[h * cols + c];
            for (int h = 0; h < n; h++) out[h * cols + c] = (float) (w[h * cols + c] - dot * r[h]);
        }
        MemorySegment in = MemorySegment.ofArray(w);
        ReferenceEdit.Agreement good = ReferenceEdit.compare(in, MemorySegment.ofArray(out.clone()), DType.F32, new long[]{n, cols}, e);
        assertTrue(good.ok() && good.bitIdentical() == 12, good.toString());
        float[] bad = out.clone();
        bad[5] = Math.nextUp(Math.nextUp(bad[5]));
        ReferenceEdit.Agreement a = ReferenceEdit.compare(in, MemorySegment.ofArray(bad), DType.F32, new long[]{n, cols}, e);
        assertEquals(1, a.beyond(), a.toString());
        assertEquals(5, a.firstBeyond());
    }

    @Test
    void hookEquivalenceIsJudgedOnlyWhereItIsExpected() {
        HookEquivalence.Conditions full = manifest(false, false, false, 1.0, "F32");
        assertTrue(HookEquivalence.judge(full, 4e-6, 10).ok());
        HookEquivalence bad = HookEquivalence.judge(full, 0.5, 10);
        assertTrue(bad.applicable());
        assertFalse(bad.ok());
        assertFalse(HookEquivalence.judge(full, Double.NaN, 10).ok());
        HookEquivalence editBoth = HookEquivalence.judge(manifest(true, false, false, 1.0, "F32"), 0.2, 10);
        assertFalse(editBoth.applicable());
        assertTrue(editBoth.ok(), "not expected, so not a failure");
        assertFalse(HookEquivalence.judge(manifest(true, true, true, 1.0, "F32"), 0.2, 10).applicable());
        assertFalse(HookEquivalence.judge(manifest(false, false, false, 0.5, "F32"), 0.2, 10).applicable());
        HookEquivalence bf16 = HookEquivalence.judge(manifest(true, true, false, 1.0, "BF16"), 0.02, 10);
        assertTrue(bf16.applicable() && bf16.ok(), bf16.toString());
        assertEquals(1e-3 + 4 * 0x1p-9 * 10, bf16.tolerance(), 1e-15);
    }

    private static HookEquivalence.Conditions manifest(boolean tied, boolean untied, boolean approximate, double alpha, String dtype) {
        return new HookEquivalence.Conditions("llama", approximate, tied, untied, untied ? "untie" : "edit-both", alpha, true,
                List.of(dtype));
    }
}
