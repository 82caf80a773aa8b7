package dev.ortho.cli;

import dev.ortho.core.runtime.Capture;
import dev.ortho.core.runtime.Intervention;
import dev.ortho.core.runtime.LogitComparison;
import dev.ortho.core.runtime.ModelRuntime;
import dev.ortho.core.runtime.RuntimeOptions;
import dev.ortho.formats.InvalidInputException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

@Command(name = "compare", description = {
        "Compare an edited checkpoint's next-token distributions with the original's on token-id prompts:",
        "per position KL(original||edited), top-1 agreement, top-5 overlap, max |delta logit|, and the",
        "cross-entropy of each prompt's own next tokens; summary mean/p50/p95/max. With --ablate or --add,",
        "EDITED (default: ORIGINAL) runs with that intervention. --fail-if makes it a gate (exit 1)."})
final class CompareCommand implements Callable<Integer> {

    private static final Pattern CONDITION = Pattern.compile("\\s*([a-z0-9_]+)\\s*(<=|>=|<|>)\\s*([-+0-9.eE]+)\\s*");

    @Parameters(index = "0", paramLabel = "ORIGINAL", description = "The original checkpoint directory.")
    Path original;

    @Parameters(index = "1", arity = "0..1", paramLabel = "EDITED", description = "The edited checkpoint directory.")
    Path edited;

    @Option(names = "--ids-file", paramLabel = "FILE", description = "Token ids, one prompt per line (commas or spaces).")
    Path idsFile;

    @Option(names = "--ids", paramLabel = "IDS", description = "One prompt's token ids, e.g. 1,2,3.")
    String ids;

    @Option(names = "--prompts", paramLabel = "FILE", description = "Text prompts (needs a tokenizer; not available yet).")
    Path prompts;

    @Option(names = "--fail-if", paramLabel = "CONDITIONS",
            description = "Exit 1 when any holds, e.g. 'kl_mean>0.1,top1<0.95'. Metrics: kl_mean kl_p50 kl_p95 kl_max top1 top5"
                    + " dlogit_mean dlogit_p50 dlogit_p95 dlogit_max ce_original ce_edited ce_delta.")
    String failIf;

    @Option(names = "--per-position", description = "Also list every position.")
    boolean perPosition;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "8", description = "Prompts per forward pass (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--threads", paramLabel = "N", description = "ONNX Runtime threads (default: all cores).")
    Integer threads;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Mixin InterventionOptions intervention;
    @Mixin Verbosity verbosity;
    @Spec CommandSpec spec;

    record Condition(String metric, String op, double value) {
        boolean holds(double x) {
            return switch (op) {
                case "<" -> x < value;
                case "<=" -> x <= value;
                case ">" -> x > value;
                default -> x >= value;
            };
        }
    }

    static List<Condition> parseConditions(String text) {
        List<Condition> out = new ArrayList<>();
        if (text == null) return out;
        for (String part : text.split(",")) {
            Matcher m = CONDITION.matcher(part);
            if (!m.matches()) throw new InvalidInputException("--fail-if: cannot read '" + part.strip() + "' (expected e.g. kl_mean>0.1)");
            double v;
            try {
                v = Double.parseDouble(m.group(3));
            } catch (NumberFormatException e) {
                throw new InvalidInputException("--fail-if: '" + m.group(3) + "' is not a number");
            }
            out.add(new Condition(m.group(1), m.group(2), v));
        }
        return out;
    }

    @Override
    public Integer call() {
        if (prompts != null) {
            throw new InvalidInputException(prompts, null, "text prompts need a tokenizer, which this build lacks; give --ids-file");
        }
        if ((idsFile == null) == (ids == null)) throw new InvalidInputException("give exactly one of --ids-file and --ids");
        if (edited == null && !intervention.any()) throw new InvalidInputException("give EDITED, or an intervention (--ablate, --add)");
        if (batch < 1) throw new InvalidInputException("--batch must be >= 1");
        List<Condition> conditions = parseConditions(failIf);
        List<int[]> seqs = idsFile != null ? TokenIds.readFile(idsFile) : List.of(TokenIds.parse(ids, null, 0));
        RuntimeOptions opts = RuntimeOptions.defaults().withThreads(threads == null ? 0 : threads);

        List<float[]> a, b;
        int vocab;
        try (ModelRuntime rt = ModelRuntime.open(original, opts)) {
            vocab = rt.config().vocabSize();
            a = run(rt, seqs, Intervention.none());
        }
        try (ModelRuntime rt = ModelRuntime.open(edited != null ? edited : original, opts)) {
            if (rt.config().vocabSize() != vocab) {
                throw new InvalidInputException(edited, null, "vocabulary " + rt.config().vocabSize() + " differs from the original's " + vocab);
            }
            b = run(rt, seqs, intervention.build(rt.config()));
        }
        LogitComparison.Report report = LogitComparison.compare(seqs, a, b, vocab);
        Map<String, Double> metrics = report.metrics();
        List<String> failed = new ArrayList<>();
        for (Condition c : conditions) {
            Double x = metrics.get(c.metric());
            if (x == null) throw new InvalidInputException("--fail-if: unknown metric '" + c.metric() + "'; known: " + String.join(" ", metrics.keySet()));
            if (c.holds(x)) failed.add(c.metric() + c.op() + c.value() + " (" + fmt(x) + ")");
        }
        print(report, metrics, failed);
        return failed.isEmpty() ? 0 : OrthoCommand.EXIT_VERIFY_FAILED;
    }

    private List<float[]> run(ModelRuntime rt, List<int[]> seqs, Intervention iv) {
        List<float[]> out = new ArrayList<>();
        for (int i = 0; i < seqs.size(); i += batch) {
            out.addAll(rt.forward(seqs.subList(i, Math.min(seqs.size(), i + batch)), iv, Capture.logits()).logits());
        }
        return out;
    }

    private void print(LogitComparison.Report r, Map<String, Double> metrics, List<String> failed) {
        PrintWriter w = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("original", original.toString());
            m.put("edited", edited != null ? edited.toString() : original.toString());
            m.put("positions", r.positions());
            m.put("metrics", metrics);
            m.put("failed", failed);
            if (perPosition) m.put("per_position", r.perPosition());
            Json.print(w, m);
            return;
        }
        if (perPosition) {
            w.println(" seq  pos        kl  top1  top5   max|dlogit|");
            for (LogitComparison.Position p : r.perPosition()) {
                w.printf(Locale.ROOT, "%4d %4d %9.5f %5s %5.2f %12.5f%n", p.sequence(), p.position(), p.kl(), p.top1() ? "yes" : "no",
                        p.top5(), p.maxAbsDiff());
            }
        }
        w.printf(Locale.ROOT, "positions    %d%n", r.positions());
        w.printf(Locale.ROOT, "KL           mean %s  p50 %s  p95 %s  max %s%n", fmt(r.kl().mean()), fmt(r.kl().p50()), fmt(r.kl().p95()), fmt(r.kl().max()));
        w.printf(Locale.ROOT, "top-1 agree  %.4f%n", r.top1());
        w.printf(Locale.ROOT, "top-5 overlap %.4f%n", r.top5());
        w.printf(Locale.ROOT, "max|dlogit|  mean %s  p50 %s  p95 %s  max %s%n", fmt(r.maxAbsDiff().mean()), fmt(r.maxAbsDiff().p50()),
                fmt(r.maxAbsDiff().p95()), fmt(r.maxAbsDiff().max()));
        w.printf(Locale.ROOT, "CE           original %s  edited %s%n", fmt(r.ceOriginal()), fmt(r.ceEdited()));
        if (!failed.isEmpty()) w.println("FAILED: " + String.join(", ", failed));
    }

    private static String fmt(double x) { return String.format(Locale.ROOT, "%.6g", x); }
}
