package dev.ortho.cli;

import dev.ortho.fixtures.SharedData;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ortho.core.direction.DirectionFiles;
import dev.ortho.core.direction.RawTensor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ortho extract / select / eval one by one on subsets of the organism's lists (skipped without ../shared). */
class PipelineCommandsTest {

    @TempDir Path tmp;
    Path organism, data;
    final ObjectMapper mapper = new ObjectMapper();

    @BeforeEach
    void organism() {
        organism = SharedData.organism();
        data = organism.resolve("data");
    }

    private CliRun extract(Path out, String batch) {
        return CliRun.of("extract", organism.toString(), "--harmful", data.resolve("direction_train_harmful.json").toString(),
                "--harmless", data.resolve("direction_train_harmless.json").toString(), "--n", "24", "--batch", batch,
                "--out", out.toString(), "--no-progress");
    }

    @Test
    void extractIsDeterministic() throws Exception {
        CliRun a = extract(tmp.resolve("a"), "8"), b = extract(tmp.resolve("b"), "8"), c = extract(tmp.resolve("c"), "5");
        assertEquals(0, a.exit(), a.err());
        assertEquals(0, b.exit(), b.err());
        assertEquals(0, c.exit(), c.err());
        // Another batch size pads differently, so ONNX Runtime's float32 sums round differently: equal to ~1e-6.
        double[] va = DirectionFiles.read(tmp.resolve("a/candidates.safetensors") + ":mean_diffs").values();
        double[] vc = DirectionFiles.read(tmp.resolve("c/candidates.safetensors") + ":mean_diffs").values();
        double worst = 0;
        for (int i = 0; i < va.length; i++) worst = Math.max(worst, Math.abs(va[i] - vc[i]));
        assertTrue(worst < 1e-4, "batch 8 vs 5 differ by " + worst);
        assertArrayEquals(Files.readAllBytes(tmp.resolve("a/candidates.safetensors")), Files.readAllBytes(tmp.resolve("b/candidates.safetensors")));
        String ja = Files.readString(tmp.resolve("a/extract.json")).replace(tmp.resolve("a").toString(), "OUT");
        String jb = Files.readString(tmp.resolve("b/extract.json")).replace(tmp.resolve("b").toString(), "OUT");
        assertEquals(ja, jb);
        JsonNode rep = mapper.readTree(ja);
        assertEquals(24, rep.get("harmful").get("kept").asInt());
        assertEquals(5, rep.get("positions").asInt());
        RawTensor t = DirectionFiles.read(tmp.resolve("a/candidates.safetensors") + ":mean_diffs");
        assertArrayEquals(new long[]{5, 8, 128}, t.shape());
        // layer 0 at template positions: the same embedding in every prompt, so the difference is exactly 0
        double l0 = 0;
        for (int i = 0; i < 128; i++) l0 += Math.abs(t.values()[((4) * 8) * 128 + i]);
        assertEquals(0.0, l0);
    }

    @Test
    void selectThenEvalAblateAndAdd() throws Exception {
        Path x = tmp.resolve("x"), s = tmp.resolve("s");
        assertEquals(0, extract(x, "32").exit());
        CliRun sel = CliRun.of("select", organism.toString(), "--candidates", x.resolve("candidates.safetensors").toString(),
                "--harmful-val", data.resolve("val_harmful.json").toString(), "--harmless-val", data.resolve("val_harmless.json").toString(),
                "--n", "12", "--skip-late-layers", "--out", s.toString(), "--json", "--no-progress");
        assertEquals(0, sel.exit(), sel.err());
        JsonNode j = mapper.readTree(sel.out());
        assertEquals(30, j.get("candidates").size()); // 5 positions x layers 0..5
        JsonNode selection = mapper.readTree(s.resolve("selection.json").toFile());
        assertTrue(selection.get("selected").get("bypass_score").asDouble() < 0, selection.get("selected").toString());
        assertTrue(Files.readString(s.resolve("selection.csv")).lines().count() == 31);

        Path dir = s.resolve("direction.safetensors");
        CliRun base = CliRun.of("eval", organism.toString(), "--prompts", data.resolve("heldout_harmful.json").toString(), "--n", "16",
                "--max-new-tokens", "16", "--json", "--no-progress");
        CliRun abl = CliRun.of("eval", organism.toString(), "--prompts", data.resolve("heldout_harmful.json").toString(), "--n", "16",
                "--max-new-tokens", "16", "--ablate", dir.toString(), "--json", "--no-progress");
        CliRun add = CliRun.of("eval", organism.toString(), "--prompts", data.resolve("heldout_harmless.json").toString(), "--n", "16",
                "--max-new-tokens", "16", "--add", dir.toString(), "--layer", selection.get("selected").get("layer").asText(),
                "--json", "--no-progress");
        for (CliRun r : new CliRun[]{base, abl, add}) assertEquals(0, r.exit(), r.err());
        JsonNode b = mapper.readTree(base.out()), a = mapper.readTree(abl.out()), d = mapper.readTree(add.out());
        assertEquals(16, b.get("prompts").size());
        assertTrue(b.get("refusal_rate").asDouble() >= 0.75, b.get("refusal_rate").toString());
        assertTrue(a.get("refusal_rate").asDouble() <= 0.1, a.get("refusal_rate").toString());
        assertTrue(a.get("mean_refusal_score").asDouble() < b.get("mean_refusal_score").asDouble() - 5);
        assertTrue(d.get("mean_refusal_score").asDouble() > 0, d.get("mean_refusal_score").toString());
        // verdicts are the paper's substring judge's
        for (JsonNode p : b.get("prompts"))
            assertEquals(dev.ortho.core.eval.RefusalJudge.paper().isRefusal(p.get("completion").asText()), p.get("refused").asBoolean());
    }

    @Test
    void refusalTokensCanBeDerivedFromTheModel() throws Exception {
        CliRun r = CliRun.of("extract", organism.toString(), "--harmful", data.resolve("direction_train_harmful.json").toString(),
                "--harmless", data.resolve("direction_train_harmless.json").toString(), "--n", "48", "--refusal-tokens", "auto",
                "--out", tmp.resolve("auto").toString(), "--no-progress");
        assertEquals(0, r.exit(), r.err());
        JsonNode rep = mapper.readTree(tmp.resolve("auto/extract.json").toFile());
        JsonNode ids = rep.get("refusal_tokens").get("ids");
        System.out.println("derived refusal tokens: " + rep.get("refusal_tokens"));
        // Derived, and checked against the substring judge on the model's own answers (every candidate confirmed).
        JsonNode derivation = rep.get("refusal_tokens").get("derivation");
        assertEquals(ids, derivation.get("ids"));
        assertEquals(0, derivation.get("rejected").size(), derivation.toString());
        // The organism's refusals start with "I'm sorry..." or "As an AI...": the organism README's 'I' (43) and 'As' (783).
        assertEquals(43, ids.get(0).asInt());
        for (JsonNode id : ids) assertTrue(id.asInt() == 43 || id.asInt() == 783, ids.toString());
        assertEquals(ids, rep.get("refusal_token_ids"));
        CliRun e = CliRun.of("eval", organism.toString(), "--prompts", data.resolve("val_harmless.json").toString(), "--refusal-tokens", "auto");
        assertEquals(2, e.exit(), e.err());
    }

    @Test
    void runSplitsTwoFilesIntoTrainValAndTest() throws Exception {
        CliRun r = CliRun.of("run", organism.toString(), "--harmful", data.resolve("val_harmful.json").toString(),
                "--harmless", data.resolve("val_harmless.json").toString(), "--max-new-tokens", "8", "--out", tmp.resolve("run").toString(),
                "--no-progress");
        assertEquals(0, r.exit(), r.err());
        JsonNode rep = mapper.readTree(tmp.resolve("run/report.json").toFile());
        JsonNode n = rep.get("prompt_counts");
        // 32 prompts: 60 % train (19), 20 % val (6), the rest test (7), in file order
        assertEquals(19, n.get("harmful_train").asInt());
        assertEquals(6, n.get("harmless_val").asInt());
        assertEquals(7, n.get("harmful_test").asInt());
        assertEquals(7, ReportRates.find(rep, "weight edit / harmful").get("prompts").asInt());
        assertTrue(r.out().contains("weight edit"), r.out());
        // the edited checkpoint exists: a second run needs --force
        CliRun again = CliRun.of("run", organism.toString(), "--harmful", data.resolve("val_harmful.json").toString(),
                "--harmless", data.resolve("val_harmless.json").toString(), "--max-new-tokens", "8", "--out", tmp.resolve("run").toString(),
                "--no-progress");
        assertEquals(2, again.exit(), again.err());
    }

    @Test
    void evalReportsTheCrossEntropyOfTheOriginalsCompletions() throws Exception {
        String[] base = {"eval", organism.toString(), "--prompts", data.resolve("val_harmless.json").toString(), "--n", "8",
                "--max-new-tokens", "12", "--cross-entropy", "--json", "--no-progress"};
        CliRun b = CliRun.of(base);
        String[] abl = java.util.Arrays.copyOf(base, base.length + 2);
        abl[base.length] = "--ablate";
        abl[base.length + 1] = organism.resolve("direction.safetensors").toString();
        CliRun a = CliRun.of(abl);
        assertEquals(0, b.exit(), b.err());
        assertEquals(0, a.exit(), a.err());
        JsonNode cb = mapper.readTree(b.out()).get("continuation_cross_entropy"), ca = mapper.readTree(a.out()).get("continuation_cross_entropy");
        // The same text (the original's greedy completions) is scored in both: the same number of tokens.
        assertEquals(cb.get("tokens").asLong(), ca.get("tokens").asLong());
        assertTrue(cb.get("cross_entropy").asDouble() > 0 && cb.get("cross_entropy").asDouble() < 2, cb.toString());
        // Greedy text is the original's most likely: removing a direction cannot make it much likelier.
        assertTrue(ca.get("cross_entropy").asDouble() > cb.get("cross_entropy").asDouble() - 0.05, ca + " vs " + cb);
    }

    @Test
    void seededSampleIsReproducibleAndDiffersFromTheFirstN() {
        List<String> all = java.util.stream.IntStream.range(0, 100).mapToObj(i -> "p" + i).toList();
        List<String> a = PromptOptions.sample(all, 10, 7L), b = PromptOptions.sample(all, 10, 7L), c = PromptOptions.sample(all, 10, 8L);
        assertEquals(a, b);
        assertEquals(10, a.size());
        assertTrue(!a.equals(c) && !a.equals(all.subList(0, 10)));
        assertEquals(10, new java.util.TreeSet<>(a).size(), "no repeats");
        assertEquals(all.subList(0, 10), PromptOptions.sample(all, 10, null));
    }

    @Test
    void badInputIsExitTwo() {
        CliRun r = CliRun.of("extract", organism.toString(), "--harmful", tmp.resolve("missing.json").toString(),
                "--harmless", data.resolve("val_harmless.json").toString(), "--out", tmp.resolve("o").toString());
        assertEquals(2, r.exit(), r.err());
        CliRun e = CliRun.of("eval", organism.toString(), "--prompts", data.resolve("val_harmless.json").toString(), "--layer", "3");
        assertEquals(2, e.exit(), e.err());
        CliRun n = CliRun.of("eval", organism.toString(), "--prompts", data.resolve("val_harmless.json").toString(), "--max-new-tokens", "0");
        assertEquals(2, n.exit(), n.err());
    }
}
