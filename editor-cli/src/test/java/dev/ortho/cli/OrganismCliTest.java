package dev.ortho.cli;

import dev.ortho.fixtures.SharedData;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ortho.formats.safetensors.SafetensorsFile;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ortho generate / logits --prompt / compare --prompts on the refusal organism (a Qwen2 chat model with a
 * tokenizer and a ChatML template); skipped without ../shared/organism.
 */
class OrganismCliTest {

    /** The organism's post-instruction tokens: <|im_end|> \n <|im_start|> assistant \n. */
    private static final int[] EOI = {2, 201, 1, 312, 201};
    private static final Pattern DIGIT = Pattern.compile("\\p{N}");

    @TempDir Path tmp;
    Path organism, direction;
    final ObjectMapper json = new ObjectMapper();

    @BeforeEach
    void organism() {
        Path o = SharedData.organism();
        organism = o;
        direction = o.resolve("direction.safetensors");
    }

    private JsonNode read(Path file) throws Exception { return json.readTree(file.toFile()); }

    private Path promptFile(String name, List<String> prompts) throws Exception {
        Path f = tmp.resolve(name);
        json.writeValue(f.toFile(), prompts);
        return f;
    }

    private static boolean refuses(String text) { return text.startsWith("I'm sorry") || text.startsWith("As an AI"); }

    /**
     * Greedy chat completions of all 200 held-out prompts against the reference ones (transformers,
     * float32): identical text and the same refusal verdict for every prompt, including the 16 with
     * digits (tokenized one digit per token, as transformers' Qwen2 class does; see TransformersTokenizerClass).
     */
    @Test
    void generateMatchesTheReferenceCompletions() throws Exception {
        int matched = 0, withDigits = 0;
        for (String set : List.of("harmful", "harmless")) {
            JsonNode ref = read(organism.resolve("completions/baseline_" + set + ".json"));
            List<String> prompts = new ArrayList<>();
            ref.forEach(r -> prompts.add(r.get("prompt").asText()));
            CliRun r = CliRun.of("generate", organism.toString(), "--chat", "--prompts", promptFile(set + ".json", prompts).toString(),
                    "--max-new-tokens", "64", "--batch", "16", "--json");
            assertEquals(0, r.exit(), r.err());
            JsonNode got = json.readTree(r.out()).get("completions");
            assertEquals(ref.size(), got.size());
            for (int i = 0; i < ref.size(); i++) {
                String expected = ref.get(i).get("response").asText(), text = got.get(i).get("text").asText();
                assertEquals(ref.get(i).get("is_refusal").asBoolean(), refuses(text), set + " " + i + ": " + text);
                int[] promptIds = json.convertValue(got.get(i).get("prompt_ids"), int[].class);
                assertArrayEquals(EOI, Arrays.copyOfRange(promptIds, promptIds.length - EOI.length, promptIds.length));
                if (DIGIT.matcher(prompts.get(i)).find()) withDigits++;
                assertEquals(expected, text, set + " prompt " + i + ": " + prompts.get(i));
                assertTrue(got.get(i).get("tokens").size() <= 64);
                matched++;
            }
        }
        assertEquals(200, matched);
        assertEquals(16, withDigits);
    }

    @Test
    void generateOnePromptHarmlessHarmfulAndAblated() throws Exception {
        JsonNode harmless = read(organism.resolve("completions/baseline_harmless.json")).get(0);
        JsonNode harmful = read(organism.resolve("completions/baseline_harmful.json")).get(0);
        JsonNode ablated = read(organism.resolve("completions/ablation_harmful.json")).get(0);
        CliRun ok = CliRun.of("generate", organism.toString(), "--chat", "--prompt", harmless.get("prompt").asText());
        assertEquals(0, ok.exit(), ok.err());
        assertEquals(harmless.get("response").asText(), ok.out().strip());
        assertFalse(refuses(ok.out()), ok.out());
        CliRun no = CliRun.of("generate", organism.toString(), "--chat", "--prompt", harmful.get("prompt").asText());
        assertEquals(0, no.exit(), no.err());
        assertTrue(refuses(no.out()), no.out());
        assertEquals(harmful.get("response").asText(), no.out().strip());
        // Directional ablation of the refusal direction: the reference's ablated completion, no refusal.
        CliRun abl = CliRun.of("generate", organism.toString(), "--chat", "--prompt", harmful.get("prompt").asText(),
                "--ablate", direction + ":direction");
        assertEquals(0, abl.exit(), abl.err());
        assertEquals(ablated.get("response").asText(), abl.out().strip());
        assertFalse(refuses(abl.out()), abl.out());
        // A short budget: at most 3 tokens, and not stopped at EOS.
        CliRun shortRun = CliRun.of("generate", organism.toString(), "--chat", "--prompt", harmful.get("prompt").asText(),
                "--max-new-tokens", "3", "--json");
        JsonNode c = json.readTree(shortRun.out()).get("completions").get(0);
        assertEquals(3, c.get("tokens").size());
        assertFalse(c.get("stopped_at_eos").asBoolean());
        assertTrue(harmful.get("response").asText().startsWith(c.get("text").asText()), c.get("text").asText());
        // Usage errors: exit 2.
        assertEquals(2, CliRun.of("generate", organism.toString()).exit());
        assertEquals(2, CliRun.of("generate", organism.toString(), "--prompt", "x", "--max-new-tokens", "0").exit());
    }

    @Test
    void logitsOfAPromptEqualThoseOfItsIds() throws Exception {
        String instruction = "Write a poem about the sea.";
        Path a = tmp.resolve("a.safetensors"), b = tmp.resolve("b.safetensors");
        CliRun text = CliRun.of("logits", organism.toString(), "--prompt", instruction, "--chat", "--json", "--top-k", "3",
                "--out", a.toString(), "--residuals");
        assertEquals(0, text.exit(), text.err());
        JsonNode j = json.readTree(text.out());
        int[] ids = json.convertValue(j.get("input_ids"), int[].class);
        // ChatML: <|im_start|> user \n INSTRUCTION <|im_end|> \n <|im_start|> assistant \n, the instruction as raw text.
        CliRun raw = CliRun.of("logits", organism.toString(), "--prompt", instruction, "--json");
        int[] rawIds = json.convertValue(json.readTree(raw.out()).get("input_ids"), int[].class);
        int[] expected = new int[3 + rawIds.length + EOI.length];
        expected[0] = 1;
        expected[1] = 310;
        expected[2] = 201;
        System.arraycopy(rawIds, 0, expected, 3, rawIds.length);
        System.arraycopy(EOI, 0, expected, 3 + rawIds.length, EOI.length);
        assertArrayEquals(expected, ids);
        assertEquals("<|im_start|>", j.get("positions").get(0).get("text").asText());
        assertEquals("assistant", j.get("positions").get(ids.length - 2).get("text").asText());
        // The top token after "<|im_start|>" is "assistant" or "user"; decoded text is given with every id.
        JsonNode top = j.get("positions").get(ids.length - 3).get("top").get(0);
        assertEquals(312, top.get("id").asInt());
        assertEquals("assistant", top.get("text").asText());

        StringBuilder idList = new StringBuilder();
        for (int id : ids) idList.append(idList.isEmpty() ? "" : ",").append(id);
        CliRun byIds = CliRun.of("logits", organism.toString(), "--ids", idList.toString(), "--out", b.toString());
        assertEquals(0, byIds.exit(), byIds.err());
        assertTrue(byIds.out().contains("\"assistant\""), byIds.out());
        try (SafetensorsFile fa = SafetensorsFile.open(a); SafetensorsFile fb = SafetensorsFile.open(b)) {
            assertEquals(List.of((long) ids.length, 2048L), fa.tensor("logits").shape());
            MemorySegment la = fa.data(fa.tensor("logits")), lb = fb.data(fb.tensor("logits"));
            assertEquals(-1, la.mismatch(lb), "the same tokens give bit-identical logits");
            assertEquals(-1, fa.data(fa.tensor("input_ids")).mismatch(fb.data(fb.tensor("input_ids"))));
            for (int l = 0; l <= 8; l++) assertEquals(List.of((long) ids.length, 128L), fa.tensor("residual." + l).shape());
            assertTrue(fb.tensors().stream().noneMatch(t -> t.name().startsWith("residual.")));
        }
        assertEquals(2, CliRun.of("logits", organism.toString(), "--ids", "1,2", "--chat").exit());
        assertEquals(2, CliRun.of("logits", organism.toString(), "--prompt", "x", "--ids", "1").exit());
    }

    private Path mixedPrompts() throws Exception {
        JsonNode harmful = read(organism.resolve("data/heldout_harmful.json"));
        JsonNode harmless = read(organism.resolve("data/heldout_harmless.json"));
        List<String> p = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            p.add(harmful.get(i).asText());
            p.add(harmless.get(i).asText());
        }
        return promptFile("mixed.json", p);
    }

    @Test
    void compareWithItselfIsExactlyZero() throws Exception {
        CliRun r = CliRun.of("compare", organism.toString(), organism.toString(), "--prompts", mixedPrompts().toString(), "--chat",
                "--continuation", "8", "--json", "--fail-if", "kl_max>0,top1<1,first_kl_max>0,cont_top1<1,dlogit_max>0");
        assertEquals(0, r.exit(), r.out() + r.err());
        JsonNode j = json.readTree(r.out());
        JsonNode m = j.get("metrics");
        assertEquals(0.0, m.get("kl_max").asDouble());
        assertEquals(1.0, m.get("top1").asDouble());
        assertEquals(1.0, m.get("top5").asDouble());
        assertEquals(m.get("ce_original").asDouble(), m.get("ce_edited").asDouble());
        assertEquals(8, j.get("sequences").asInt());
        int positions = 0;
        for (int i = 0; i < 8; i++) {
            int cont = j.get("continuation_tokens").get(i).asInt();
            assertTrue(cont >= 1 && cont <= 8, "continuation " + cont);
            positions += j.get("prompt_tokens").get(i).asInt() + cont;
        }
        assertEquals(positions, j.get("positions").asInt());
    }

    /**
     * Weight orthogonalization with an untied head (reference_ortho/ortho_untied) is the same function as
     * directional ablation on the original: teacher-forced over prompt and continuation, KL below 1e-4.
     */
    @Test
    void orthogonalizedCheckpointEqualsAblationAndAGateFails() throws Exception {
        Path prompts = mixedPrompts();
        Path untied = organism.resolve("reference_ortho/ortho_untied");
        CliRun same = CliRun.of("compare", untied.toString(), organism.toString(), "--ablate", direction + ":direction",
                "--prompts", prompts.toString(), "--chat", "--continuation", "16", "--json", "--fail-if", "kl_max>1e-4,top1<1");
        assertEquals(0, same.exit(), same.out() + same.err());
        JsonNode m = json.readTree(same.out()).get("metrics");
        assertTrue(m.get("kl_max").asDouble() < 1e-4, m.toString());
        assertTrue(m.get("cont_kl_max").asDouble() < 1e-4, m.toString());
        assertTrue(m.get("dlogit_max").asDouble() < 1e-3, m.toString());
        assertEquals(1.0, m.get("cont_top1").asDouble());
        assertEquals(m.get("cont_ce_original").asDouble(), m.get("cont_ce_edited").asDouble(), 1e-4);

        // Original versus orthogonalized without hooks: the first token moves (reference: mean first-token KL
        // 0.056 on harmless prompts), so a strict gate exits 1 and the table says why.
        CliRun gate = CliRun.of("compare", organism.toString(), untied.toString(), "--prompts", prompts.toString(), "--chat",
                "--continuation", "8", "--fail-if", "first_kl_mean>0.01,top1<0.5");
        assertEquals(1, gate.exit(), gate.out() + gate.err());
        assertTrue(gate.out().contains("FAILED: first_kl_mean>0.01"), gate.out());
        assertFalse(gate.out().contains("top1<0.5"), gate.out());
        assertTrue(gate.out().contains("KL first token") && gate.out().contains("KL continuation"), gate.out());
        assertEquals(2, CliRun.of("compare", organism.toString(), untied.toString(), "--prompts", prompts.toString(),
                "--fail-if", "cont_kl_max>1").exit(), "cont_* metrics exist only with --continuation");
    }
}
