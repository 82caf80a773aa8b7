package dev.ortho.core.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ortho.core.direction.CandidateDirections;
import dev.ortho.core.direction.DirectionFiles;
import dev.ortho.core.direction.RawTensor;
import dev.ortho.core.eval.CandidateScores;
import dev.ortho.core.eval.DirectionSelector;
import dev.ortho.core.eval.Selection;
import dev.ortho.core.eval.SelectionCriteria;
import dev.ortho.fixtures.SharedData;
import dev.ortho.core.text.InstructionFiles;
import dev.ortho.core.text.RefusalTokens;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Extraction and selection on the refusal organism against its torch reference (reference.json,
 * direction.safetensors), on the reference's own train (128 + 128) and val (32 + 32) lists.
 *
 * <p>Tokenization matches the reference's transformers 5 (digits one by one for Qwen2, see
 * TransformersTokenizerClass), so every prompt, the 18 with digits included, is the same token sequence on
 * both sides, and what remains is float32 rounding. Measured: 1 − cos ≤ 1.5e-14, |norm ratio − 1| ≤ 1.1e-7,
 * |Δbypass| ≤ 1.4e-6, |Δinduce| ≤ 8.2e-7, relative ΔKL ≤ 4.7e-6; the bounds below leave one to two orders
 * of magnitude for other machines' float32 summation order.
 *
 * <p>Rounding: both sides run the same float32 model, ours through ONNX Runtime and the reference through
 * torch, so activations differ by float32 rounding of differently ordered sums (~1e-6 relative). The candidate
 * means are float64 sums of 128 such activations, so they agree to ~1e-5 relative; the test allows 1e-4 on the
 * norm and 1e-6 on 1 − cos. Refusal scores are log-odds of softmax sums over 2048 logits: a logit error of
 * 1e-5 moves them by ~1e-5, so the means of 32 are held to 1e-3; KL scores (≈0.01–0.1) to 1e-3 relative + 1e-6.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OrganismExtractionTest {

    private Path model;
    private JsonNode reference;
    private ModelSession session;
    private int[] refusalIds;
    private Extraction extraction;

    @BeforeAll
    void extract() {
        model = SharedData.organism();
        reference = SharedData.json(model.resolve("reference.json"));
        session = ModelSession.open(model, model, 0, 32);
        refusalIds = RefusalTokens.resolve(session.tokenizer(), RefusalTokens.DEFAULT_STRINGS);
        extraction = new DirectionExtractor(session, refusalIds, true).extract(
                session.encode(InstructionFiles.read(model.resolve("data/direction_train_harmful.json"))),
                session.encode(InstructionFiles.read(model.resolve("data/direction_train_harmless.json"))), StepProgress.NONE);
    }

    @Test
    void refusalTokensAndPositionsAreTheReferences() {
        assertArrayEquals(new int[]{43, 783}, refusalIds);
        assertArrayEquals(new int[]{2, 201, 1, 312, 201}, session.formatter().postInstructionIds());
    }

    @Test
    void baselineScoresAndFilterMatchTheReference() {
        JsonNode ref = reference.get("baseline_refusal_scores");
        double[] h = extraction.harmfulScores(), l = extraction.harmlessScores();
        List<String> hp = InstructionFiles.read(model.resolve("data/direction_train_harmful.json"));
        List<String> lp = InstructionFiles.read(model.resolve("data/direction_train_harmless.json"));
        int digits = 0;
        for (int i = 0; i < h.length; i++) digits += check(ref.get("train_harmful").get(i).asDouble(), h[i], hp.get(i));
        for (int i = 0; i < l.length; i++) digits += check(ref.get("train_harmless").get(i).asDouble(), l[i], lp.get(i));
        System.out.println(digits + " prompts with digits");
        assertEquals(reference.get("filtered_sizes").get("train_harmful").asInt(), extraction.keptHarmful().length);
        assertEquals(reference.get("filtered_sizes").get("train_harmless").asInt(), extraction.keptHarmless().length);
    }

    /** Every prompt, with or without digits, to float32 rounding; returns 1 for a prompt with digits (counted). */
    private static int check(double expected, double actual, String prompt) {
        boolean digit = prompt.chars().anyMatch(Character::isDigit);
        assertEquals(expected, actual, 1e-4, prompt);
        return digit ? 1 : 0;
    }

    @Test
    void candidatesMatchTheReferenceMeanDifferences() {
        RawTensor ref = DirectionFiles.read(model.resolve("direction.safetensors") + ":mean_diffs_f64");
        CandidateDirections c = extraction.candidates();
        assertEquals(5, c.positions());
        assertEquals(8, c.layers());
        int hidden = c.hidden();
        double worstCos = 0, worstNorm = 0;
        for (int p = -5; p <= -1; p++) {
            for (int l = 0; l < 8; l++) {
                double[] ours = c.direction(p, l);
                int off = ((p + 5) * 8 + l) * hidden;
                double dot = 0, a = 0, b = 0;
                for (int i = 0; i < hidden; i++) {
                    double r = ref.values()[off + i];
                    dot += ours[i] * r;
                    a += ours[i] * ours[i];
                    b += r * r;
                }
                if (b == 0) {
                    assertEquals(0.0, Math.sqrt(a), 1e-9, "zero reference candidate at " + p + "," + l);
                    continue;
                }
                worstCos = Math.max(worstCos, 1 - dot / Math.sqrt(a * b));
                worstNorm = Math.max(worstNorm, Math.abs(Math.sqrt(a) / Math.sqrt(b) - 1));
            }
        }
        System.out.printf("candidates vs reference: max 1-cos %.3e, max |norm ratio - 1| %.3e%n", worstCos, worstNorm);
        assertTrue(worstCos < 1e-9, "1 - cos " + worstCos);
        assertTrue(worstNorm < 1e-5, "norm ratio " + worstNorm);
        assertEquals(25.256185177595466, c.norm(-1, 4), 1e-3);
    }

    @Test
    void selectionReproducesTheReference() {
        List<String> hv = InstructionFiles.read(model.resolve("data/val_harmful.json"));
        List<String> lv = InstructionFiles.read(model.resolve("data/val_harmless.json"));
        RuntimeCandidateScorer scorer = new RuntimeCandidateScorer(session, session.encode(hv), session.encode(lv), refusalIds,
                StepProgress.NONE);
        DirectionSelector selector = new DirectionSelector(SelectionCriteria.paper(8));
        long t0 = System.nanoTime();
        List<CandidateScores> scores = selector.scoreAll(extraction.candidates(), scorer, false);
        System.out.printf("scored %d candidates in %.1f s%n", scores.size(), (System.nanoTime() - t0) / 1e9);
        double wb = 0, wi = 0, wk = 0;
        for (JsonNode rc : reference.get("candidates")) {
            CandidateScores s = scores.stream().filter(x -> x.candidate().position() == rc.get("position").asInt()
                    && x.candidate().layer() == rc.get("layer").asInt()).findFirst().orElseThrow();
            wb = Math.max(wb, Math.abs(s.bypassScore() - rc.get("bypass_score").asDouble()));
            wi = Math.max(wi, Math.abs(s.induceScore() - rc.get("induce_score").asDouble()));
            double rk = rc.get("kl_score").asDouble();
            wk = Math.max(wk, Math.abs(s.klScore() - rk) / (rk + 1e-3));
        }
        System.out.printf("scores vs reference: max |dbypass| %.3e, max |dinduce| %.3e, max rel dKL %.3e%n", wb, wi, wk);
        assertTrue(wb < 1e-4, "bypass " + wb);
        assertTrue(wi < 1e-4, "induce " + wi);
        assertTrue(wk < 1e-4, "kl " + wk);
        Selection sel = selector.select(scores);
        assertEquals(-1, sel.selected().candidate().position());
        assertEquals(4, sel.selected().candidate().layer());
        assertEquals(reference.get("selection").get("n_survivors").asInt(), sel.survivors().size());
        CandidateScores best = sel.selected();
        System.out.printf("selected %s bypass %.4f induce %.4f kl %.5f%n", best.candidate(), best.bypassScore(), best.induceScore(), best.klScore());
        JsonNode rs = reference.get("selection").get("selected");
        assertEquals(rs.get("bypass_score").asDouble(), best.bypassScore(), 1e-4);
        assertEquals(rs.get("induce_score").asDouble(), best.induceScore(), 1e-4);
        assertEquals(rs.get("kl_score").asDouble(), best.klScore(), 1e-6);
    }
}
