package dev.ortho.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
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
        assertTrue(t.contains("Verification of the edited checkpoint (ortho verify --original): VERIFIED"), t);
        assertTrue(Pattern.compile("Weight edit vs hook ablation: max \\|dlogit\\| \\S+, tolerance \\S+ \\(BF16 weights.*\\): EQUIVALENT")
                .matcher(t).find(), t);
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

    @Test
    void runExitsOneWhenTheEditFailsVerification() throws Exception {
        // ortho run on the demo model with a handful of prompts (fast), the edited checkpoint tampered with
        // between ablate and verify, as a broken edit or disk would do.
        Path model = tmp.resolve("model");
        for (String f : DemoCommand.MODEL_FILES) copy("organism/" + f, model.resolve(f));
        Path harmful = tmp.resolve("harmful.txt"), harmless = tmp.resolve("harmless.txt");
        copy("prompts/harmful.txt", harmful);
        copy("prompts/harmless.txt", harmless);
        for (Path p : List.of(harmful, harmless)) Files.write(p, Files.readAllLines(p).subList(0, 8));
        dev.ortho.core.pipeline.EditVerification real = RunCommand.verification;
        RunCommand.verification = (edited, original, threads) -> {
            try (FileChannel ch = FileChannel.open(edited.resolve("model.safetensors"), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.allocate(1);
                ch.read(b, ch.size() - 2);
                b.put(0, (byte) (b.get(0) ^ 0x40)).rewind();
                ch.write(b, ch.size() - 2);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return real.verify(edited, original, threads);
        };
        try {
            CliRun r = CliRun.of("run", model.toString(), "--harmful", harmful.toString(), "--harmless", harmless.toString(),
                    "--out", tmp.resolve("run").toString(), "--max-new-tokens", "2", "--no-filter", "--no-progress");
            assertEquals(1, r.exit(), r.out() + r.err());
            assertTrue(r.out().contains("Verification of the edited checkpoint (ortho verify --original): FAILED"), r.out());
            assertTrue(r.out().contains("  FAIL hash model.safetensors"), r.out());
        } finally {
            RunCommand.verification = real;
        }
    }

    private static void copy(String resource, Path target) throws IOException {
        try (InputStream in = DemoTest.class.getResourceAsStream(DemoCommand.RESOURCES + resource)) {
            Files.createDirectories(target.getParent());
            Files.copy(in, target);
        }
    }

    @Test
    void runExitsOneWhenTheEditIsNotEquivalentToHookAblation() {
        assertEquals(0, RunCommand.exitCode(report(true, true)));
        assertEquals(1, RunCommand.exitCode(report(true, false)));
        assertEquals(1, RunCommand.exitCode(report(false, true)));
    }

    /** A report whose only meaningful parts are the two verdicts. */
    private static dev.ortho.core.pipeline.RunReport report(boolean verified, boolean equivalent) {
        var none = new double[0];
        return new dev.ortho.core.pipeline.RunReport("m", "a", 1, 1, new int[0], null, null, null, null, "paper selection", List.of(),
                new dev.ortho.core.pipeline.RunReport.AblateSummary("out", 1, false, verified, 1, verified ? 0 : 1, 0, List.of()),
                null, new dev.ortho.core.pipeline.RunReport.Equivalence(true, equivalent ? 0 : 1, 1e-3, equivalent, "test"),
                new dev.ortho.core.pipeline.RunReport.Cosines(none, none), List.of(), List.of(), List.of(), 1, java.util.Map.of());
    }
}
