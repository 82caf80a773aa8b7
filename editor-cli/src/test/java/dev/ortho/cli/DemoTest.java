package dev.ortho.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ortho demo} end to end on the bundled model and prompts (needs nothing outside the repository). */
class DemoTest {

    @TempDir Path tmp;

    private static double row(String table, String condition, int column) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(condition) + "\\s+(\\S+)(?: %)?\\s+(\\S+)").matcher(table);
        assertTrue(m.find(), "no row " + condition + " in\n" + table);
        return Double.parseDouble(m.group(column));
    }

    @Test
    void demoRemovesRefusal() throws Exception {
        long t0 = System.nanoTime();
        CliRun r = CliRun.of("demo", "--out", tmp.resolve("demo").toString());
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf("ortho demo: %.1f s%n%s", secs, r.out());
        assertEquals(0, r.exit(), r.err());
        String t = r.out();
        double before = row(t, "baseline", 1), after = row(t, "weight edit", 1), ablated = row(t, "ablation", 1);
        double harmlessBefore = row(t, "baseline", 2);
        assertTrue(before - after >= 50, "refusal drop " + before + " -> " + after);
        assertTrue(before - ablated >= 50, "refusal drop under ablation " + before + " -> " + ablated);
        assertTrue(before >= 80, "the organism refuses most demo harmful prompts: " + before);
        assertTrue(harmlessBefore <= 20, "and few harmless ones: " + harmlessBefore);
        JsonNode rep = new ObjectMapper().readTree(tmp.resolve("demo/report.json").toFile());
        assertEquals(24, ReportRates.find(rep, "baseline / harmful").get("prompts").asInt());
        assertTrue(rep.get("compare").get("max_abs_logit_diff_edited_vs_hook_harmful").asDouble() < 0.05);
        assertTrue(secs < 180, "demo took " + secs + " s");
        String html = java.nio.file.Files.readString(tmp.resolve("demo/report.html"));
        assertTrue(html.startsWith("<!DOCTYPE html>") && html.endsWith("</html>\n"));
        assertEquals(6, html.split("<svg ", -1).length - 1, "charts: 3 selection curves, rate bars, KL histogram, cosines");
        assertEquals(1, html.split("<tr class='sel'>", -1).length - 1, "one selected row in the candidate table");
        assertTrue(!html.contains("<script") && !html.contains("<link") && !html.contains("src=") && !html.contains("@import"));
    }
}
