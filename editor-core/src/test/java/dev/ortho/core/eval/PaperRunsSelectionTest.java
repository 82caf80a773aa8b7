package dev.ortho.core.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ortho.fixtures.SharedData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The paper's own selection artifacts (shared/paper/runs/MODEL/select_direction): fed the reference code's
 * scores, DirectionSelector picks the published direction, keeps exactly the published survivors in the
 * published order, and its filter counts equal METHOD.md §2.4's statistics table.
 */
class PaperRunsSelectionTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            // model, L, candidates, NaN, late, KL > 0.1, induce < 0, kept
            "qwen-1_8b-chat, 24, 120, 0, 25, 40, 43, 12",
            "gemma-2b-it, 18, 90, 0, 20, 4, 53, 13",
            "yi-6b-chat, 32, 192, 0, 42, 40, 103, 7",
            "llama-2-7b-chat-hf, 32, 192, 2, 42, 100, 45, 5",
            "meta-llama-3-8b-instruct, 32, 160, 0, 35, 41, 59, 25"})
    void publishedSelectionIsReproduced(String model, int layers, int candidates, int nan, int late, int kl, int induce, int kept) {
        Path run = SharedData.dir("paper/runs").resolve(model);
        List<CandidateScores> scores = new ArrayList<>();
        for (JsonNode c : SharedData.json(run.resolve("select_direction/direction_evaluations.json")))
            scores.add(scores(c));
        assertEquals(candidates, scores.size());

        Selection sel = new DirectionSelector(SelectionCriteria.paper(layers)).select(scores);

        JsonNode meta = SharedData.json(run.resolve("direction_metadata.json"));
        assertEquals(new Candidate(meta.get("pos").asInt(), meta.get("layer").asInt()), sel.selected().candidate());
        List<Candidate> published = new ArrayList<>();
        for (JsonNode c : SharedData.json(run.resolve("select_direction/direction_evaluations_filtered.json")))
            published.add(new Candidate(c.get("position").asInt(), c.get("layer").asInt()));
        assertEquals(published, sel.survivors().stream().map(CandidateScores::candidate).toList());
        assertEquals(kept, sel.survivors().size());

        // METHOD.md counts each candidate under its first failed filter, except that NaN rows also count as late.
        int nNan = 0, nLate = 0, nKl = 0, nInduce = 0;
        for (EvaluatedCandidate e : sel.evaluated()) {
            List<FilterReason> r = e.reasons();
            if (r.contains(FilterReason.NAN_SCORE)) nNan++;
            if (r.contains(FilterReason.LATE_LAYER)) nLate++;
            else if (r.contains(FilterReason.NAN_SCORE)) continue;
            else if (r.contains(FilterReason.KL_TOO_HIGH)) nKl++;
            else if (r.contains(FilterReason.INDUCE_TOO_LOW)) nInduce++;
        }
        assertEquals(List.of(nan, late, kl, induce), List.of(nNan, nLate, nKl, nInduce));
    }

    private static CandidateScores scores(JsonNode c) {
        return new CandidateScores(new Candidate(c.get("position").asInt(), c.get("layer").asInt()),
                c.get("refusal_score").asDouble(), c.get("steering_score").asDouble(), c.get("kl_div_score").asDouble());
    }
}
