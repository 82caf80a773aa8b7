package dev.ortho.cli;

import dev.ortho.fixtures.SharedData;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ortho search on both organisms with their reference splits (train 128 + 128 makes the candidates, val 32 + 32
 * chooses, the 100 + 100 held-out prompts only measure), against the issue's targets and the references; and
 * --resume continuing a search exactly where a shorter one stopped.
 */
class SearchCliTest {

    @TempDir static Path tmp;
    final ObjectMapper mapper = new ObjectMapper();

    private static Path organism(String name) {
        return SharedData.dir("organism/" + name);
    }

    private static String[] search(Path model, Path out, String... extra) {
        Path d = model.resolve("data");
        List<String> a = new ArrayList<>(List.of("search", model.toString(),
                "--harmful", d.resolve("direction_train_harmful.json").toString(), "--harmless", d.resolve("direction_train_harmless.json").toString(),
                "--harmful-val", d.resolve("val_harmful.json").toString(), "--harmless-val", d.resolve("val_harmless.json").toString(),
                "--harmful-test", d.resolve("heldout_harmful.json").toString(), "--harmless-test", d.resolve("heldout_harmless.json").toString(),
                "--out", out.toString(), "--no-progress"));
        a.addAll(Arrays.asList(extra));
        return a.toArray(String[]::new);
    }

    private JsonNode runAndRead(Path model, Path out, String... extra) throws Exception {
        long t0 = System.nanoTime();
        CliRun r = CliRun.of(search(model, out, extra));
        System.out.printf("ortho search on %s: %.1f s%n%s%s", model.getFileName(), (System.nanoTime() - t0) / 1e9, r.out(), r.err());
        assertEquals(0, r.exit(), r.err());
        return mapper.readTree(out.resolve("report.json").toFile());
    }

    @Test
    void noSurvivorOrganismReachesTheIssuesTargetHeldOut() throws Exception {
        Path model = organism("llama-nosurvivor");
        JsonNode rep = runAndRead(model, tmp.resolve("nosurvivor"), "--trials", "64", "--seed", "0", "--max-kl", "0.15", "--write");
        JsonNode h = rep.get("heldout");
        // Issue 11: <= 30 % harmful, <= 5 % harmless, KL <= 0.2 on the held-out split (the paper's single direction
        // with the KL filter ignored: 85 % / 20 %, reference.json).
        assertTrue(h.get("verify_ok").asBoolean());
        assertTrue(h.get("edited_harmful_refusal_rate").asDouble() <= 0.30, h.toString());
        assertTrue(h.get("edited_harmless_refusal_rate").asDouble() <= 0.05, h.toString());
        assertTrue(h.get("first_token_kl").asDouble() <= 0.2, h.toString());
        assertEquals("fallback: ignore KL", rep.get("paper").get("how").asText());
        assertTrue(Files.isRegularFile(tmp.resolve("nosurvivor/pareto.csv")));
        assertTrue(Files.readString(tmp.resolve("nosurvivor/report.html")).contains("<circle"));
        assertTrue(rep.get("command").asText().startsWith("ortho ablate "), rep.get("command").asText());
    }

    /**
     * Issue 11: on the Qwen2 organism the search must find an edit at least as good as the paper's selection: 0 %
     * held-out harmful refusal, first-token KL no higher than the paper's. Measured here on the same held-out
     * harmless prompts against the reference's own weight edit (reference_ortho/ortho_untied, written by
     * transformers), per prompt. The mean over all 100 is dominated by the one prompt the original refuses: an edit
     * that removes refusal more completely moves that prompt's first token more (the paper's edit: KL 0.056 over
     * all, of which about 0.046 is that prompt), so the comparison is made on the prompts the original answers
     * (baseline refusal score < 0, the filter METHOD.md §2.2 applies to validation prompts), and both means over all
     * prompts are printed.
     */
    @Test
    void qwen2OrganismFindsAnEditAtLeastAsGoodAsThePapers() throws Exception {
        Path model = organism("qwen2-refusal-organism");
        JsonNode rep = runAndRead(model, tmp.resolve("qwen2"), "--trials", "48", "--seed", "0", "--write");
        assertEquals("paper selection", rep.get("paper").get("how").asText());
        assertEquals(-1, rep.get("paper").get("position").asInt());
        assertEquals(4, rep.get("paper").get("layer").asInt());
        // The starting point is judged even when the front dominates it, and the choice never refuses more in its
        // validation generations than it does (within one prompt).
        JsonNode start = rep.get("paper"), chosen = rep.get("chosen");
        assertTrue(start.get("harmful_refusal_rate").isNumber(), start.toString());
        assertTrue(chosen.get("harmful_refusal_rate").asDouble() + chosen.get("harmless_refusal_rate").asDouble()
                <= start.get("harmful_refusal_rate").asDouble() + start.get("harmless_refusal_rate").asDouble() + 1.0 / 32 + 1e-12,
                chosen + " vs " + start);
        JsonNode h = rep.get("heldout");
        assertTrue(h.get("verify_ok").asBoolean());
        assertEquals(0.0, h.get("edited_harmful_refusal_rate").asDouble(), h.toString());
        assertEquals(0.0, h.get("edited_harmless_refusal_rate").asDouble(), h.toString());

        List<String> harmless = dev.ortho.core.text.InstructionFiles.read(model.resolve("data/heldout_harmless.json"));
        try (var original = dev.ortho.core.pipeline.ModelSession.open(model, model, 0, 32);
             var ours = dev.ortho.core.pipeline.ModelSession.open(tmp.resolve("qwen2/model"), model, 0, 32);
             var paper = dev.ortho.core.pipeline.ModelSession.open(model.resolve("reference_ortho/ortho_untied"), model, 0, 32)) {
            List<int[]> ids = original.encode(harmless);
            var none = dev.ortho.core.runtime.Intervention.none();
            List<float[]> base = original.lastLogits(ids, none), a = ours.lastLogits(ids, none), b = paper.lastLogits(ids, none);
            int[] refusal = dev.ortho.core.text.RefusalTokens.resolve(original.tokenizer(), List.of("I", "As"));
            double[] scores = original.refusalScores(ids, none, refusal);
            double oursAll = 0, paperAll = 0, oursAnswered = 0, paperAnswered = 0;
            int answered = 0;
            for (int i = 0; i < ids.size(); i++) {
                double ka = dev.ortho.core.eval.FirstTokenKl.of(base.get(i), a.get(i)), kb = dev.ortho.core.eval.FirstTokenKl.of(base.get(i), b.get(i));
                oursAll += ka;
                paperAll += kb;
                if (scores[i] < 0) {
                    oursAnswered += ka;
                    paperAnswered += kb;
                    answered++;
                }
            }
            System.out.printf("held-out first-token KL: search edit %.4f (answered prompts %.4f), paper's edit %.4f (%.4f); %d of %d answered%n",
                    oursAll / ids.size(), oursAnswered / answered, paperAll / ids.size(), paperAnswered / answered, answered, ids.size());
            assertTrue(answered >= 95, answered + " answered");
            assertTrue(oursAnswered <= paperAnswered, "search edit " + oursAnswered / answered + " vs the paper's " + paperAnswered / answered);
        }
    }

    @Test
    void resumeContinuesExactlyWhereTheShorterSearchStopped() throws Exception {
        Path model = organism("qwen2-refusal-organism");
        Path a = tmp.resolve("resume-a"), b = tmp.resolve("resume-b");
        String[] small = {"--population", "4", "--seed", "5", "--check", "1", "--max-new-tokens", "8", "--continuation-tokens", "4"};
        List<String> first = new ArrayList<>(Arrays.asList(small));
        first.addAll(List.of("--trials", "8"));
        assertEquals(0, CliRun.of(search(model, a, first.toArray(String[]::new))).exit());
        List<String> more = new ArrayList<>(Arrays.asList(small));
        more.addAll(List.of("--trials", "16", "--resume"));
        CliRun resumed = CliRun.of(search(model, a, more.toArray(String[]::new)));
        assertEquals(0, resumed.exit(), resumed.err());
        List<String> fresh = new ArrayList<>(Arrays.asList(small));
        fresh.addAll(List.of("--trials", "16"));
        assertEquals(0, CliRun.of(search(model, b, fresh.toArray(String[]::new))).exit());
        List<String> la = Files.readAllLines(a.resolve("trials.jsonl")), lb = Files.readAllLines(b.resolve("trials.jsonl"));
        assertEquals(16, la.size());
        for (int i = 0; i < 16; i++) {
            JsonNode x = mapper.readTree(la.get(i)), y = mapper.readTree(lb.get(i));
            assertEquals(y.get("variables"), x.get("variables"), "trial " + i);
            assertEquals(y.get("objectives"), x.get("objectives"), "trial " + i);
        }
        // Another seed cannot continue this log; starting over needs --force.
        List<String> other = new ArrayList<>(Arrays.asList(small));
        other.set(3, "6");
        other.addAll(List.of("--trials", "16", "--resume"));
        CliRun refused = CliRun.of(search(model, a, other.toArray(String[]::new)));
        assertEquals(2, refused.exit(), refused.err());
        assertTrue(refused.err().contains("--resume continues only the same search"), refused.err());
        CliRun again = CliRun.of(search(model, a, fresh.toArray(String[]::new)));
        assertEquals(2, again.exit(), again.err());
        assertTrue(again.err().contains("--force"), again.err());
    }

    @Test
    void fragilityReportsTheSmallestEditAndComparesTwoCheckpoints() throws Exception {
        Path a = organism("qwen2-refusal-organism"), b = organism("llama-nosurvivor");
        Path out = tmp.resolve("fragility");
        Path d = a.resolve("data");
        // Both organisms share the data splits (their READMEs): the same prompt files serve both searches.
        CliRun r = CliRun.of("fragility", a.toString(), "--compare", b.toString(),
                "--harmful", d.resolve("direction_train_harmful.json").toString(), "--harmless", d.resolve("direction_train_harmless.json").toString(),
                "--harmful-val", d.resolve("val_harmful.json").toString(), "--harmless-val", d.resolve("val_harmless.json").toString(),
                "--harmful-test", d.resolve("heldout_harmful.json").toString(), "--harmless-test", d.resolve("heldout_harmless.json").toString(),
                "--trials", "32", "--check", "4", "--out", out.toString(), "--no-progress");
        System.out.println(r.out() + r.err());
        assertEquals(0, r.exit(), r.err());
        JsonNode reports = mapper.readTree(out.resolve("fragility.json").toFile());
        assertEquals(2, reports.size());
        JsonNode q = reports.get(0);
        JsonNode smallest = q.get("smallest");
        assertTrue(smallest.get("heldout_harmful_refusal_rate").asDouble() < 0.1, q.toString());
        int tensors = smallest.get("size").get("tensors").asInt();
        assertTrue(tensors >= 1 && tensors <= q.get("writers").asInt(), q.toString());
        assertTrue(smallest.get("size").get("relative_change").asDouble() > 0);
        assertTrue(q.get("verdict").asText().contains("writer tensors edited"), q.get("verdict").asText());
        // The curve falls as the budget grows.
        double previous = Double.POSITIVE_INFINITY;
        for (JsonNode x : q.get("curve")) {
            assertTrue(x.get("refusal_score").asDouble() < previous, q.get("curve").toString());
            previous = x.get("refusal_score").asDouble();
        }
        String html = Files.readString(out.resolve("fragility.html"));
        assertTrue(html.contains("qwen2-refusal-organism") && html.contains("llama-nosurvivor") && html.contains("<circle"));
        assertTrue(r.out().contains("ortho ablate "), r.out());
    }
}
