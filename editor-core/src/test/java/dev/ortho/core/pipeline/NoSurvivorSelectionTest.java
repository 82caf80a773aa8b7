package dev.ortho.core.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ortho.core.eval.SelectionCriteria;
import dev.ortho.fixtures.SharedData;
import dev.ortho.core.text.InstructionFiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The select step on llama-nosurvivor, where the paper's filters remove every candidate, against the reference's
 * own failure record (reference_paper_failure.json, transformers + hooks): every candidate's scores and filter
 * reasons, the table written anyway, and a diagnosis that blames the direction, not the template.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NoSurvivorSelectionTest {

    private Path model;
    private JsonNode failure;
    private DirectionSelectionStep.Result result;
    private Path out;

    @BeforeAll
    void select(@TempDir Path tmp) {
        model = SharedData.noSurvivor();
        failure = SharedData.json(model.resolve("reference_paper_failure.json"));
        out = tmp;
        try (ModelSession s = ModelSession.open(model, model, 0, 32)) {
            RefusalTokenChoice tokens = RefusalTokenChoice.given(s.tokenizer(), List.of("I", "As"));
            Extraction x = new DirectionExtractor(s, tokens.ids(), true).extract(
                    s.encode(InstructionFiles.read(model.resolve("data/direction_train_harmful.json"))),
                    s.encode(InstructionFiles.read(model.resolve("data/direction_train_harmless.json"))), StepProgress.NONE);
            result = DirectionSelectionStep.run(s, x.candidates(), InstructionFiles.read(model.resolve("data/val_harmful.json")),
                    InstructionFiles.read(model.resolve("data/val_harmless.json")), tokens.ids(), true, SelectionCriteria.paper(8),
                    false, out, StepProgress.NONE);
        }
    }

    @Test
    void everyCandidateMatchesTheReferenceAndNoneSurvives() {
        SelectionReport r = result.report();
        assertNull(r.selected());
        assertEquals(0, r.survivors());
        JsonNode ref = failure.get("candidates");
        assertEquals(ref.size(), r.candidates().size());
        for (int i = 0; i < ref.size(); i++) {
            JsonNode e = ref.get(i);
            SelectionRow row = r.candidates().get(i);
            String at = "position " + row.position() + " layer " + row.layer();
            assertEquals(e.get("position").asInt(), row.position(), at);
            assertEquals(e.get("layer").asInt(), row.layer(), at);
            assertEquals(e.get("bypass_score").asDouble(), row.bypassScore(), 2e-3, at);
            assertEquals(e.get("induce_score").asDouble(), row.induceScore(), 2e-3, at);
            assertEquals(e.get("kl_score").asDouble(), row.klScore(), 1e-3 * e.get("kl_score").asDouble() + 1e-6, at);
            List<String> reasons = new ArrayList<>();
            e.get("filter_reasons").forEach(x -> reasons.add(x.asText()));
            assertEquals(reasons, row.filterReasons(), at);
            assertTrue(row.filtered(), at);
        }
        assertEquals(failure.get("baseline_filtered_val_mean").get("harmful").asDouble(), r.validation().harmfulBaselineMean(), 2e-3);
    }

    @Test
    void theTableIsWrittenAndTheDiagnosisNamesTheKlFilterNotTheTemplate() throws Exception {
        assertTrue(Files.isRegularFile(out.resolve("selection.json")));
        assertTrue(Files.isRegularFile(out.resolve("selection.csv")));
        assertFalse(Files.exists(out.resolve("direction.safetensors")), "nothing selected, so no direction file");
        assertEquals(41, Files.readAllLines(out.resolve("selection.csv")).size());
        JsonNode json = SharedData.json(out.resolve("selection.json"));
        assertTrue(json.get("selected").isNull());
        assertEquals(40, json.get("candidates").size());
        String summary = result.report().diagnosis().summary();
        assertFalse(summary.contains("chat template"), summary);
        String why = String.join(" ", result.report().diagnosis().explanation());
        // The reference: only position -1, layers 3-5 lower the refusal score, each with KL 0.28-0.34.
        assertTrue(why.contains("3 candidates bypass refusal (position -1 layer 3, position -1 layer 4, position -1 layer 5"), why);
        assertTrue(why.contains("not carried by one direction"), why);
        assertTrue(result.report().diagnosis().suggestions().stream().anyMatch(s -> s.startsWith("--max-kl 0.2")),
                result.report().diagnosis().suggestions().toString());
    }
}
