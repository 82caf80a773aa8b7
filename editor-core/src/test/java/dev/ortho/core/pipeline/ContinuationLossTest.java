package dev.ortho.core.pipeline;

import dev.ortho.core.runtime.Intervention;
import dev.ortho.core.runtime.ModelRuntime;
import dev.ortho.fixtures.SharedData;
import dev.ortho.formats.safetensors.SafetensorsFile;
import dev.ortho.formats.safetensors.TensorInfo;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Cross-entropy of teacher-forced continuations against the same quantity computed in float64, in the test, from
 * the logits transformers produced for the golden Llama (reference.safetensors): independent of Ortho's runtime.
 */
class ContinuationLossTest {

    private static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void equalsTheCrossEntropyOfTheGoldenLogits() {
        Path dir = SharedData.dir("golden/llama");
        List<ContinuationLoss.Sequence> seqs = new ArrayList<>();
        double sum = 0;
        long n = 0;
        int[] firstScored = {3, 1, 4};
        try (SafetensorsFile ref = SafetensorsFile.open(dir.resolve("reference.safetensors"))) {
          for (int s = 0; s < 3; s++) {
            TensorInfo idsInfo = ref.tensor("input_ids." + s), logitsInfo = ref.tensor("logits." + s);
            int len = (int) idsInfo.elementCount(), vocab = (int) logitsInfo.shapeArray()[logitsInfo.shapeArray().length - 1];
            int[] seq = new int[len];
            for (int i = 0; i < len; i++) seq[i] = (int) ref.data(idsInfo).getAtIndex(LE_LONG, i);
            seqs.add(new ContinuationLoss.Sequence(seq, firstScored[s]));
            double[] l = new double[(int) logitsInfo.elementCount()];
            for (int i = 0; i < l.length; i++) l[i] = ref.data(logitsInfo).getAtIndex(LE_FLOAT, i);
            for (int t = firstScored[s]; t < len; t++) {
                int off = (t - 1) * vocab;
                double max = Double.NEGATIVE_INFINITY;
                for (int v = 0; v < vocab; v++) max = Math.max(max, l[off + v]);
                double z = 0;
                for (int v = 0; v < vocab; v++) z += Math.exp(l[off + v] - max);
                sum += max + Math.log(z) - l[off + seq[t]];
                n++;
            }
          }
        }
        try (ModelRuntime rt = ModelRuntime.open(dir)) {
            ContinuationLoss.Result r = ContinuationLoss.of(rt, seqs, Intervention.none());
            assertEquals(n, r.tokens());
            assertEquals(sum / n, r.crossEntropy(), 1e-5);
            assertEquals(1, r.perplexity() / Math.exp(sum / n), 1e-5);
        }
    }

    @Test
    void aSequenceMustScoreAtLeastOneToken() {
        assertThrows(IllegalArgumentException.class, () -> new ContinuationLoss.Sequence(new int[]{1, 2}, 0));
        assertThrows(IllegalArgumentException.class, () -> new ContinuationLoss.Sequence(new int[]{1, 2}, 3));
    }
}
