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
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ortho run} on the refusal organism with its reference lists: 128 + 128 train, 32 + 32 val, 100 + 100
 * held out; compared with reference.json and the reference completions (skipped without ../shared).
 *
 * <p>Gates, from issue 3: the selected candidate is the reference's (position −1, layer 4) or its bypass score
 * is within 10 % of the reference's; ablation refusal on held-out harmful ≤ reference + 5 points; activation
 * addition on held-out harmless ≥ reference − 5 points; mean first-token KL ≤ 0.1; the weight-edited
 * model within 3 points of hook ablation. Beyond those, the scores of the selected candidate agree with the
 * reference to float32 rounding (measured |Δ| ≤ 1.4e-6, see OrganismExtractionTest in editor-core): both
 * sides tokenize alike, digits included.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OrganismRunTest {

    @TempDir static Path tmp;
    Path organism;
    JsonNode reference;
    JsonNode report;
    final ObjectMapper mapper = new ObjectMapper();

    @BeforeAll
    void run() throws Exception {
        organism = SharedData.organism();
        reference = mapper.readTree(organism.resolve("reference.json").toFile());
        Path d = organism.resolve("data");
        long t0 = System.nanoTime();
        CliRun r = CliRun.of("run", organism.toString(), "--harmful", d.resolve("direction_train_harmful.json").toString(),
                "--harmless", d.resolve("direction_train_harmless.json").toString(),
                "--harmful-val", d.resolve("val_harmful.json").toString(), "--harmless-val", d.resolve("val_harmless.json").toString(),
                "--harmful-test", d.resolve("heldout_harmful.json").toString(), "--harmless-test", d.resolve("heldout_harmless.json").toString(),
                "--out", tmp.resolve("run").toString(), "--no-progress");
        System.out.printf("ortho run on the organism: %.1f s%n%s%s", (System.nanoTime() - t0) / 1e9, r.out(), r.err());
        assertEquals(0, r.exit(), r.err());
        report = mapper.readTree(tmp.resolve("run/report.json").toFile());
    }

    private double rate(String key) {
        return ReportRates.rate(report, key);
    }

    private double refRate(String key) {
        return reference.get("heldout").get("refusal_rate").get(key).asDouble();
    }

    @Test
    void selectsTheReferenceCandidate() {
        JsonNode sel = report.get("selection").get("selected");
        JsonNode ref = reference.get("selection").get("selected");
        boolean same = sel.get("position").asInt() == ref.get("position").asInt() && sel.get("layer").asInt() == ref.get("layer").asInt();
        double refBypass = ref.get("bypass_score").asDouble();
        assertTrue(same || sel.get("bypass_score").asDouble() <= refBypass + 0.1 * Math.abs(refBypass), sel.toString());
        assertEquals(-1, sel.get("position").asInt());
        assertEquals(4, sel.get("layer").asInt());
        assertEquals(ref.get("bypass_score").asDouble(), sel.get("bypass_score").asDouble(), 1e-4);
        assertEquals(ref.get("induce_score").asDouble(), sel.get("induce_score").asDouble(), 1e-4);
        assertEquals(ref.get("kl_score").asDouble(), sel.get("kl_score").asDouble(), 1e-6);
        assertEquals(ref.get("norm").asDouble(), sel.get("norm").asDouble(), 1e-3);
        assertEquals(reference.get("selection").get("n_survivors").asInt(), report.get("selection").get("survivors").asInt());
        assertEquals(40, report.get("candidates").size());
    }

    @Test
    void refusalRatesMatchTheReference() {
        report.get("refusal").forEach(e -> System.out.printf("refusal rate %s / %s: %.2f%n", e.get("condition").asText(),
                e.get("prompt_set").asText(), e.get("refusal_rate").asDouble()));
        assertEquals(refRate("baseline_harmful"), rate("baseline / harmful"), 0.05);
        assertEquals(refRate("baseline_harmless"), rate("baseline / harmless"), 0.05);
        assertTrue(rate("ablation / harmful") <= refRate("ablation_harmful") + 0.05);
        assertTrue(rate("ablation / harmless") <= refRate("ablation_harmless") + 0.05);
        assertTrue(rate("actadd -1 / harmful") <= refRate("actadd_minus1_harmful") + 0.05);
        assertTrue(rate("actadd +1 / harmless") >= refRate("actadd_plus1_harmless") - 0.05);
        assertEquals(rate("ablation / harmful"), rate("weight edit / harmful"), 0.03);
        assertEquals(rate("ablation / harmless"), rate("weight edit / harmless"), 0.03);
        // The refusal direction matters: ablating it drops harmful refusal by most of its baseline.
        assertTrue(rate("baseline / harmful") - rate("ablation / harmful") >= 0.8);
    }

    @Test
    void weightEditEqualsHookAblationAndKeepsHarmlessBehaviour() {
        JsonNode c = report.get("compare");
        System.out.printf("first-token KL edited vs original (held-out harmless) %.5f; max |logit(edited) - logit(hook)| %.2e%n",
                c.get("kl_edited_vs_original_harmless_mean").asDouble(), c.get("max_abs_logit_diff_edited_vs_hook_harmful").asDouble());
        assertTrue(c.get("kl_edited_vs_original_harmless_mean").asDouble() <= 0.1, c.toString());
        double refKl = reference.get("orthogonalization").get("ortho_untied").get("first_token_kl_vs_baseline_heldout_harmless").asDouble();
        assertEquals(refKl, c.get("kl_edited_vs_original_harmless_mean").asDouble(), 0.01);
        // float32 weights edited in float64 then rounded vs hook ablation in float32: logits agree to ~1e-2.
        assertTrue(c.get("max_abs_logit_diff_edited_vs_hook_harmful").asDouble() < 0.05, c.toString());
        assertTrue(c.get("kl_edited_vs_hook_harmful_mean").asDouble() < 1e-4, c.toString());
        assertTrue(report.get("ablate").get("verify_ok").asBoolean());
        JsonNode eq = report.get("equivalence");
        assertTrue(eq.get("applicable").asBoolean() && eq.get("ok").asBoolean(), eq.toString());
        assertTrue(eq.get("max_abs_logit_diff").asDouble() <= eq.get("tolerance").asDouble(), eq.toString());
    }

    @Test
    void crossEntropyOfHarmlessContinuationsIsReported() {
        JsonNode ce = report.get("cross_entropy");
        assertEquals(List.of("baseline", "ablation", "actadd -1", "weight edit"),
                java.util.stream.StreamSupport.stream(ce.spliterator(), false).map(x -> x.get("condition").asText()).toList());
        double base = ce.get(0).get("cross_entropy").asDouble();
        assertTrue(base > 0 && base < 3, ce.toString()); // the model's own greedy text is likely under itself
        // The selected direction barely changes harmless text: hook and weight edit alike stay close to the baseline.
        assertTrue(ce.get(1).get("cross_entropy").asDouble() < base + 0.5, ce.toString());
        assertEquals(ce.get(1).get("cross_entropy").asDouble(), ce.get(3).get("cross_entropy").asDouble(), 0.01, ce.toString());
        assertEquals(64, report.get("max_new_tokens").asInt());
    }

    @Test
    void completionsAgreeWithTheReferenceCompletions() throws Exception {
        Map<String, String> files = new HashMap<>();
        files.put("baseline/harmful", "baseline_harmful");
        files.put("baseline/harmless", "baseline_harmless");
        files.put("ablation/harmful", "ablation_harmful");
        files.put("ablation/harmless", "ablation_harmless");
        files.put("weight edit/harmful", "ortho_untied_harmful");
        for (JsonNode e : report.get("evaluations")) {
            String f = files.get(e.get("condition").asText() + "/" + e.get("prompt_set").asText());
            if (f == null) continue;
            JsonNode ref = mapper.readTree(organism.resolve("completions/" + f + ".json").toFile());
            int identical = 0, verdicts = 0;
            for (int i = 0; i < ref.size(); i++) {
                JsonNode ours = e.get("prompts").get(i);
                assertEquals(ref.get(i).get("prompt").asText(), ours.get("instruction").asText());
                if (ref.get(i).get("response").asText().equals(ours.get("completion").asText())) identical++;
                if (ref.get(i).get("is_refusal").asBoolean() == ours.get("refused").asBoolean()) verdicts++;
            }
            System.out.printf("%s: %d identical completions, %d equal verdicts of %d%n", f, identical, verdicts, ref.size());
            // Measured: 100 of 100 identical for baseline and hook ablation; 96 for the weight edit, whose float32
            // sums differ from hook ablation's (greedy decoding amplifies the difference late in a completion).
            assertTrue(identical >= (f.startsWith("ortho") ? 90 : 99), f + ": " + identical);
            assertTrue(verdicts >= 97, f + ": " + verdicts);
        }
    }

    @Test
    void reportHtmlIsSelfContained() throws Exception {
        String html = Files.readString(tmp.resolve("run/report.html"));
        assertTrue(html.startsWith("<!DOCTYPE html>"));
        assertTrue(html.contains("<svg"));
        assertTrue(!html.contains("<script") && !html.contains("<link") && !html.contains("src="), "external assets or scripts");
        assertTrue(html.replace("http://www.w3.org/2000/svg", "").indexOf("http") < 0, "no external URL");
        assertTrue(Files.size(tmp.resolve("run/model/model.safetensors")) > 0);
    }
}
