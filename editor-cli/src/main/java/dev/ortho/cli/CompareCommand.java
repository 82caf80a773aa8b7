package dev.ortho.cli;

import dev.ortho.core.runtime.Capture;
import dev.ortho.core.runtime.Intervention;
import dev.ortho.core.runtime.LogitComparison;
import dev.ortho.core.runtime.ModelRuntime;
import dev.ortho.core.runtime.RuntimeOptions;
import dev.ortho.core.text.InstructionFiles;
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
        "Compare an edited checkpoint's next-token distributions with the original's, teacher-forced on text",
        "prompts (--prompts, optionally --chat) or token ids: per position KL(original||edited), top-1",
        "agreement, top-5 overlap, max |delta logit|, and the cross-entropy of each model on the text; summary",
        "mean/p50/p95/max, also for the first generated token (first_*) and, with --continuation N, over the",
        "original's greedy continuation of N tokens (cont_*). With --ablate or --add, EDITED (default:",
        "ORIGINAL) runs with that intervention. --fail-if makes it a gate (exit 1)."})
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

    @Option(names = "--prompts", paramLabel = "FILE",
            description = "Instruction file (.json list, .jsonl, .txt lines, .csv), tokenized with ORIGINAL's tokenizer.")
    Path prompts;

    @Option(names = "--csv-column", paramLabel = "NAME", defaultValue = InstructionFiles.DEFAULT_CSV_COLUMN,
            description = "Column of a CSV instruction file (default ${DEFAULT-VALUE}).")
    String csvColumn;

    @Option(names = "--chat", description = "Render each prompt as a user message with the chat template and the generation prompt.")
    boolean chat;

    @Option(names = "--continuation", paramLabel = "N", defaultValue = "0",
            description = "Append the original model's greedy continuation of up to N tokens and compare over it too.")
    int continuation;

    @Option(names = "--fail-if", paramLabel = "CONDITIONS",
            description = "Exit 1 when any holds, e.g. 'kl_mean>0.1,top1<0.95'. Metrics: kl_mean kl_p50 kl_p95 kl_max top1 top5"
                    + " dlogit_mean dlogit_p50 dlogit_p95 dlogit_max ce_original ce_edited ce_delta; first_kl_mean first_kl_p50"
                    + " first_kl_p95 first_kl_max first_top1 first_top5 first_dlogit_max; with --continuation the same cont_*"
                    + " plus cont_ce_original cont_ce_edited cont_ce_delta.")
    String failIf;

    @Option(names = "--per-position", description = "Also list every position.")
    boolean perPosition;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "8", description = "Prompts per forward pass (default ${DEFAULT-VALUE}).")
    int batch;

    @Mixin ThreadsOption threads;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Mixin InterventionOptions intervention;
    @Mixin ArchOptions archOptions;
    @Mixin WeightsOption weights;
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
        int inputs = (prompts != null ? 1 : 0) + (idsFile != null ? 1 : 0) + (ids != null ? 1 : 0);
        if (inputs != 1) throw new InvalidInputException("give exactly one of --prompts, --ids-file and --ids");
        if (chat && prompts == null) throw new InvalidInputException("--chat applies to --prompts");
        if (edited == null && !intervention.any()) throw new InvalidInputException("give EDITED, or an intervention (--ablate, --add)");
        if (batch < 1) throw new InvalidInputException("--batch must be >= 1");
        if (continuation < 0) throw new InvalidInputException("--continuation must be >= 0");
        List<Condition> conditions = parseConditions(failIf);
        List<int[]> seqs = prompts != null ? encode(InstructionFiles.read(prompts, csvColumn))
                : idsFile != null ? TokenIds.readFile(idsFile) : List.of(TokenIds.parse(ids, null, 0));
        int[] promptLengths = seqs.stream().mapToInt(x -> x.length).toArray();
        RuntimeOptions opts = weights.apply(RuntimeOptions.defaults().withThreads(threads.forRuntime()));

        List<float[]> a, b;
        int vocab;
        try (ModelRuntime rt = ModelRuntime.open(original, opts, archOptions.choice())) {
            vocab = rt.config().vocabSize();
            if (continuation > 0) seqs = withContinuation(rt, seqs);
            a = run(rt, seqs, Intervention.none());
        }
        try (ModelRuntime rt = ModelRuntime.open(edited != null ? edited : original, opts, archOptions.choice())) {
            if (rt.config().vocabSize() != vocab) {
                throw new InvalidInputException(edited, null, "vocabulary " + rt.config().vocabSize() + " differs from the original's " + vocab);
            }
            b = run(rt, seqs, intervention.build(rt.config()));
        }
        LogitComparison.Report report = LogitComparison.compare(seqs, a, b, vocab);
        CompareSummary summary = new CompareSummary(report, promptLengths, seqs.stream().mapToInt(x -> x.length).toArray(),
                continuation > 0);
        Map<String, Double> metrics = summary.metrics();
        List<String> failed = new ArrayList<>();
        for (Condition c : conditions) {
            Double x = metrics.get(c.metric());
            if (x == null) throw new InvalidInputException("--fail-if: unknown metric '" + c.metric() + "'; known: " + String.join(" ", metrics.keySet()));
            if (c.holds(x)) failed.add(c.metric() + c.op() + c.value() + " (" + fmt(x) + ")");
        }
        print(summary, metrics, failed);
        return failed.isEmpty() ? 0 : OrthoCommand.EXIT_VERIFY_FAILED;
    }

    private List<int[]> encode(List<String> texts) {
        try (PromptText tok = PromptText.load(original)) {
            List<int[]> out = new ArrayList<>();
            for (String t : texts) {
                int[] p = tok.encode(t, chat);
                if (p.length == 0) throw new InvalidInputException(prompts, null, "a prompt encodes to no tokens: " + PromptText.quoted(t));
                out.add(p);
            }
            return out;
        }
    }

    /** Each sequence followed by the original model's greedy continuation (up to --continuation tokens, EOS included). */
    private List<int[]> withContinuation(ModelRuntime rt, List<int[]> seqs) {
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < seqs.size(); i += batch) {
            List<int[]> part = seqs.subList(i, Math.min(seqs.size(), i + batch));
            List<int[]> gen = rt.generate(part, continuation, Intervention.none()).tokens();
            for (int j = 0; j < part.size(); j++) {
                int[] p = part.get(j), g = gen.get(j);
                int[] s = java.util.Arrays.copyOf(p, p.length + g.length);
                System.arraycopy(g, 0, s, p.length, g.length);
                out.add(s);
            }
        }
        return out;
    }

    private List<float[]> run(ModelRuntime rt, List<int[]> seqs, Intervention iv) {
        List<float[]> out = new ArrayList<>();
        for (int i = 0; i < seqs.size(); i += batch) {
            out.addAll(rt.forward(seqs.subList(i, Math.min(seqs.size(), i + batch)), iv, Capture.logits()).logits());
        }
        return out;
    }

    private void print(CompareSummary summary, Map<String, Double> metrics, List<String> failed) {
        LogitComparison.Report r = summary.report();
        PrintWriter w = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("original", original.toString());
            m.put("edited", edited != null ? edited.toString() : original.toString());
            m.put("sequences", summary.promptLengths().length);
            m.put("prompt_tokens", summary.promptLengths());
            m.put("continuation_tokens", continuationLengths(summary));
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
        w.printf(Locale.ROOT, "sequences %d, positions %d%s%n", summary.promptLengths().length, r.positions(),
                summary.continuation() ? " (prompts plus the original's greedy continuation of up to " + continuation + " tokens)" : "");
        w.printf(Locale.ROOT, "%-22s %12s %12s %12s %12s%n", "", "mean", "p50", "p95", "max");
        row(w, "KL(orig||edited)", r.kl());
        row(w, "KL first token", summary.stats("first"));
        if (summary.continuation()) row(w, "KL continuation", summary.stats("cont"));
        row(w, "max|dlogit|", r.maxAbsDiff());
        w.printf(Locale.ROOT, "top-1 agreement        all %.4f  first token %.4f%s%n", r.top1(), metrics.get("first_top1"),
                summary.continuation() ? String.format(Locale.ROOT, "  continuation %.4f", metrics.get("cont_top1")) : "");
        w.printf(Locale.ROOT, "top-5 overlap          all %.4f  first token %.4f%n", r.top5(), metrics.get("first_top5"));
        w.printf(Locale.ROOT, "CE (nats/token)        original %s  edited %s%s%n", fmt(r.ceOriginal()), fmt(r.ceEdited()),
                summary.continuation() ? "  on the continuation: original " + fmt(metrics.get("cont_ce_original")) + "  edited "
                        + fmt(metrics.get("cont_ce_edited")) : "");
        if (!failed.isEmpty()) w.println("FAILED: " + String.join(", ", failed));
    }

    private static int[] continuationLengths(CompareSummary s) {
        int[] out = new int[s.lengths().length];
        for (int i = 0; i < out.length; i++) out[i] = s.lengths()[i] - s.promptLengths()[i];
        return out;
    }

    private static void row(PrintWriter w, String name, LogitComparison.Stats s) {
        w.printf(Locale.ROOT, "%-22s %12s %12s %12s %12s%n", name, fmt(s.mean()), fmt(s.p50()), fmt(s.p95()), fmt(s.max()));
    }

    private static String fmt(double x) { return String.format(Locale.ROOT, "%.6g", x); }
}
