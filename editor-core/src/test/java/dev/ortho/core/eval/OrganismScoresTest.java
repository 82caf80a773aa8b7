package dev.ortho.core.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ortho.fixtures.SharedData;
import dev.ortho.core.text.InstructionFiles;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The organism reference's per-prompt refusal scores through BaselineFilter and the score means. */
class OrganismScoresTest {

    private static double[] doubles(JsonNode a) {
        double[] d = new double[a.size()];
        for (int i = 0; i < d.length; i++) d[i] = a.get(i).asDouble();
        return d;
    }

    @Test
    void baselineFilterKeepsTheReferenceListsAndMeansMatch() {
        Path dir = SharedData.organism();
        JsonNode ref = SharedData.json(dir.resolve("reference.json"));
        JsonNode baseline = ref.get("baseline_refusal_scores");
        JsonNode means = ref.get("baseline_mean_refusal_score");
        for (String set : List.of("train_harmful", "train_harmless", "val_harmful", "val_harmless")) {
            double[] scores = doubles(baseline.get(set));
            int[] kept = set.endsWith("_harmful") ? BaselineFilter.keepHarmful(scores) : BaselineFilter.keepHarmless(scores);
            assertEquals(ref.get("filtered_sizes").get(set).asInt(), kept.length, set);
            String file = (set.startsWith("train") ? "direction_" + set : set) + ".json";
            List<String> prompts = InstructionFiles.read(dir.resolve("data").resolve(file));
            List<String> expected = new java.util.ArrayList<>();
            ref.get("filtered_lists").get(set).forEach(n -> expected.add(n.asText()));
            assertEquals(expected, BaselineFilter.select(prompts, kept), set);
            assertEquals(means.get(set).asDouble(), RefusalScore.mean(scores), 1e-12, set);
        }
        JsonNode perPrompt = ref.get("heldout").get("per_prompt_refusal_score");
        JsonNode heldoutMeans = ref.get("heldout").get("mean_refusal_score");
        for (var e : heldoutMeans.properties())
            assertEquals(e.getValue().asDouble(), RefusalScore.mean(doubles(perPrompt.get(e.getKey()))), 1e-12, e.getKey());
        // The baseline filter's threshold is strict: a harmful score of exactly 0 is not kept.
        assertArrayEquals(new int[] {}, BaselineFilter.keepHarmful(new double[] {0.0, -0.0}));
    }
}
