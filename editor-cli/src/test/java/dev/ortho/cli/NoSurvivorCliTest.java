package dev.ortho.cli;

import dev.ortho.fixtures.SharedData;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ortho select and ortho run on llama-nosurvivor, where the paper's filters remove every candidate: the table is
 * written anyway, the error explains in plain words and suggests what to try (exit 2), and --fallback ignore-kl
 * reproduces the reference's own fallback and its held-out figures (reference.json, transformers + hooks).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NoSurvivorCliTest {

    @TempDir static Path tmp;
    Path model, data;
    JsonNode reference;
    final ObjectMapper mapper = new ObjectMapper();

    @BeforeAll
    void locate() throws Exception {
        model = SharedData.noSurvivor();
        data = model.resolve("data");
        reference = mapper.readTree(model.resolve("reference.json").toFile());
    }

    private String[] run(String out, String... extra) {
        String[] base = {"run", model.toString(), "--harmful", data.resolve("direction_train_harmful.json").toString(),
                "--harmless", data.resolve("direction_train_harmless.json").toString(),
                "--harmful-val", data.resolve("val_harmful.json").toString(), "--harmless-val", data.resolve("val_harmless.json").toString(),
                "--harmful-test", data.resolve("heldout_harmful.json").toString(), "--harmless-test", data.resolve("heldout_harmless.json").toString(),
                "--out", tmp.resolve(out).toString(), "--no-progress"};
        String[] all = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return all;
    }

    @Test
    void runWithoutFallbackExplainsWritesTheTableAndExits2() throws Exception {
        CliRun r = CliRun.of(run("plain"));
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("no direction selected"), r.err());
        assertTrue(r.err().contains("3 candidates bypass refusal"), r.err());
        assertTrue(r.err().contains("not carried by one direction"), r.err());
        assertFalse(r.err().contains("chat template"), "the baseline refuses: the template is not to blame\n" + r.err());
        assertTrue(r.err().contains("--max-kl 0.2") && r.err().contains("ortho search"), r.err());
        JsonNode sel = mapper.readTree(tmp.resolve("plain/selection.json").toFile());
        assertEquals(40, sel.get("candidates").size());
        assertTrue(sel.get("selected").isNull());
        assertTrue(sel.get("diagnosis").get("suggestions").size() >= 2);
        assertTrue(Files.isRegularFile(tmp.resolve("plain/selection.csv")));
        assertFalse(Files.exists(tmp.resolve("plain/model")), "nothing was edited");
    }

    @Test
    void fallbackIgnoreKlIsTheReferencesFallback() throws Exception {
        CliRun r = CliRun.of(run("fallback", "--fallback", "ignore-kl"));
        System.out.println(r.out() + r.err());
        assertEquals(0, r.exit(), r.err());
        JsonNode rep = mapper.readTree(tmp.resolve("fallback/report.json").toFile());
        assertTrue(rep.get("method").asText().startsWith("fallback: ignore KL"), rep.get("method").asText());
        JsonNode ref = reference.get("selection").get("selected");
        JsonNode ours = null;
        for (JsonNode c : rep.get("candidates")) if (c.get("selected").asBoolean()) ours = c;
        assertEquals(ref.get("position").asInt(), ours.get("position").asInt());
        assertEquals(ref.get("layer").asInt(), ours.get("layer").asInt());
        assertEquals(ref.get("kl_score").asDouble(), ours.get("kl_score").asDouble(), 1e-3);
        JsonNode rates = reference.get("heldout").get("refusal_rate");
        assertEquals(rates.get("baseline_harmful").asDouble(), ReportRates.rate(rep, "baseline / harmful"), 0.02);
        assertEquals(rates.get("baseline_harmless").asDouble(), ReportRates.rate(rep, "baseline / harmless"), 0.02);
        assertEquals(rates.get("ablation_harmful").asDouble(), ReportRates.rate(rep, "ablation / harmful"), 0.03);
        assertEquals(rates.get("ablation_harmless").asDouble(), ReportRates.rate(rep, "ablation / harmless"), 0.03);
        assertEquals(rates.get("ortho_harmful").asDouble(), ReportRates.rate(rep, "weight edit / harmful"), 0.03);
        assertTrue(rep.get("ablate").get("verify_ok").asBoolean());
        assertTrue(rep.get("equivalence").get("ok").asBoolean(), rep.get("equivalence").toString());
        assertTrue(r.out().contains("Verification of the edited checkpoint (ortho verify --original): VERIFIED"), r.out());
        assertTrue(r.out().contains(": EQUIVALENT"), r.out());
    }

    @Test
    void fallbackSearchContinuesWithTheSearchAndWritesItsEdit() throws Exception {
        CliRun r = CliRun.of(run("search", "--fallback", "search", "--search-trials", "16"));
        System.out.println(r.out() + r.err());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("no direction selected") && r.err().contains("Continuing with ortho search"), r.err());
        JsonNode rep = mapper.readTree(tmp.resolve("search/search/report.json").toFile());
        assertTrue(rep.get("chosen").isObject(), rep.toString());
        assertTrue(rep.get("heldout").get("verify_ok").asBoolean());
        assertTrue(Files.isRegularFile(tmp.resolve("search/search/model/ortho-manifest.json")));
        assertTrue(rep.get("heldout").get("edited_harmful_refusal_rate").asDouble() < rep.get("heldout").get("baseline_harmful_refusal_rate").asDouble());
    }
}
