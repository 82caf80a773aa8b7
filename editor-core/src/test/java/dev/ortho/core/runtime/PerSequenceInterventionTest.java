package dev.ortho.core.runtime;

import dev.ortho.core.runtime.Intervention.PerSequence.Row;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A per-sequence intervention gives each row what the single-direction intervention gives it alone: one run
 * evaluates several candidates. Rows repeat prompts under different directions, as the candidate sweep does.
 */
class PerSequenceInterventionTest {

    private static final double TOLERANCE = 1e-5;

    @Test
    void perSequenceAblationEqualsAblatingEachRowAlone() {
        check((r, i) -> Row.ablate(variant(r, i)), (r, i) -> Intervention.ablate(variant(r, i)));
    }

    @Test
    void perSequenceActivationAdditionEqualsAddingToEachRowAlone() {
        check((r, i) -> Row.actAdd(variant(r, i), i % 2, 1.0 + i),
                (r, i) -> Intervention.actAdd(variant(r, i), i % 2, 1.0 + i));
    }

    @Test
    void mixedRowsIncludingNoneEqualTheirSingleRuns() {
        check((r, i) -> switch (i % 3) {
                    case 0 -> Row.none();
                    case 1 -> Row.ablate(variant(r, i));
                    default -> Row.actAdd(variant(r, i), 1, 4.0);
                },
                (r, i) -> switch (i % 3) {
                    case 0 -> Intervention.none();
                    case 1 -> Intervention.ablate(variant(r, i));
                    default -> Intervention.actAdd(variant(r, i), 1, 4.0);
                });
    }

    private interface PerRow<T> { T make(float[] direction, int row); }

    private static void check(PerRow<Row> batched, PerRow<Intervention> single) {
        Path d = GoldenRef.dir().resolve("llama");
        try (GoldenRef ref = GoldenRef.open(d.resolve("reference.safetensors"));
             ModelRuntime rt = ModelRuntime.open(d)) {
            float[] r = ref.floats("direction");
            List<int[]> seqs = new ArrayList<>();
            List<Row> rows = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                seqs.add(ref.ids("input_ids." + (i % 3)));
                rows.add(batched.make(r, i));
            }
            ForwardResult batch = rt.forward(seqs, Intervention.perSequence(rows), Capture.everything());
            double max = 0;
            for (int i = 0; i < seqs.size(); i++) {
                ForwardResult one = rt.forward(List.of(seqs.get(i)), single.make(r, i), Capture.everything());
                max = Math.max(max, GoldenRef.maxAbsDiff(batch.logits().get(i), one.logits().getFirst()));
            }
            System.out.printf("PER-SEQUENCE max |dlogit| %.3g%n", max);
            assertTrue(max < TOLERANCE, "per-sequence differs from single runs by " + max);
        }
    }

    /** A different direction for each row: r with its entries rotated by i and every other one negated. */
    private static float[] variant(float[] r, int i) {
        float[] v = new float[r.length];
        for (int k = 0; k < r.length; k++) v[k] = (i % 2 == 1 && k % 2 == 0 ? -1 : 1) * r[(k + i) % r.length];
        return v;
    }
}
