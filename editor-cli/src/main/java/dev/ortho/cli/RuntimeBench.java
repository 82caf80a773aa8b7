package dev.ortho.cli;

import dev.ortho.core.runtime.Capture;
import dev.ortho.core.runtime.GenerationResult;
import dev.ortho.core.runtime.Intervention;
import dev.ortho.core.runtime.ModelRuntime;
import dev.ortho.core.runtime.RuntimeOptions;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Drives the runtime measurements of {@code bench/runtime.sh} (docs/benchmarks-runtime.md); not part of
 * the CLI. One phase per process, so that {@code /usr/bin/time -v} gives each phase's peak RSS:
 * <pre>
 *   java ... -cp ortho.jar dev.ortho.cli.RuntimeBench MODEL open|prefill|generate [RUNS=5] [BATCH=16] [TOKENS=64]
 *       [threads=N] [f32=true|false] [ids=FILE]
 * </pre>
 * {@code threads}: ONNX Runtime intra-op threads (default 0: all cores); {@code f32}: the float32 weight
 * arena ({@link RuntimeOptions#weightsF32()}); {@code ids}: the prefill sequences, one comma-separated line
 * each (as {@code --ids-file}), instead of random ones, so that another engine can run the same tokens.
 * <ul>
 *   <li>{@code open}: {@code ModelRuntime.open} (config, mapping, BF16 widening with f32=true) and the first forward of one
 *       token, which builds the ONNX Runtime session: both timed once, in a fresh process.</li>
 *   <li>{@code prefill}: forward of BATCH random sequences of TOKENS tokens (last-position logits, as
 *       generation's prefill); one warm-up run excluded, then the median of RUNS.</li>
 *   <li>{@code generate}: greedy generation with the KV cache of TOKENS new tokens from a 16-token prompt, batch 1
 *       and batch BATCH; one warm-up excluded, median of RUNS. tokens/s counts new tokens only, over the whole
 *       call (its 16-token prefill included).</li>
 * </ul>
 * Token ids are drawn uniformly with a fixed seed; a model without an EOS id never stops early.
 */
public final class RuntimeBench {

    private RuntimeBench() {}

    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: RuntimeBench MODEL open|prefill|generate [RUNS=5] [BATCH=16] [TOKENS=64]"
                    + " [threads=N] [f32=true|false] [ids=FILE]");
            System.exit(2);
        }
        Path model = Path.of(args[0]);
        String phase = args[1];
        java.util.Map<String, String> named = new java.util.HashMap<>();
        List<String> positional = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            if (eq > 0) named.put(args[i].substring(0, eq), args[i].substring(eq + 1)); else positional.add(args[i]);
        }
        int runs = positional.size() > 0 ? Integer.parseInt(positional.get(0)) : 5;
        int batch = positional.size() > 1 ? Integer.parseInt(positional.get(1)) : 16;
        int tokens = positional.size() > 2 ? Integer.parseInt(positional.get(2)) : 64;
        RuntimeOptions options = RuntimeOptions.defaults()
                .withThreads(Integer.parseInt(named.getOrDefault("threads", "0")))
                .withWeightsF32(Boolean.parseBoolean(named.getOrDefault("f32", "false")));
        List<int[]> fixedIds = named.containsKey("ids") ? TokenIds.readFile(Path.of(named.get("ids"))) : null;
        long t0 = System.nanoTime();
        try (ModelRuntime rt = ModelRuntime.open(model, options)) {
            double openS = seconds(t0);
            int vocab = rt.config().vocabSize();
            SplittableRandom rnd = new SplittableRandom(42);
            switch (phase) {
                case "open" -> {
                    long t1 = System.nanoTime();
                    rt.forward(List.of(new int[]{1}), Intervention.none(), Capture.lastLogits());
                    double first = seconds(t1);
                    print("open_s=%.3f first_forward_s=%.3f session_s=%.3f converted_bytes=%d", openS, first, openS + first,
                            rt.convertedWeightBytes());
                }
                case "prefill" -> {
                    if (fixedIds != null) {
                        batch = fixedIds.size();
                        tokens = fixedIds.getFirst().length;
                    }
                    List<int[]> seqs = fixedIds != null ? fixedIds : random(rnd, batch, tokens, vocab);
                    double[] t = new double[runs];
                    long w0 = System.nanoTime();
                    rt.forward(seqs, Intervention.none(), Capture.lastLogits()); // warm-up: builds the session
                    print("warmup_s=%.3f", seconds(w0));
                    for (int i = 0; i < runs; i++) {
                        List<int[]> in = fixedIds != null ? fixedIds : random(rnd, batch, tokens, vocab);
                        long s = System.nanoTime();
                        rt.forward(in, Intervention.none(), Capture.lastLogits());
                        t[i] = seconds(s);
                    }
                    double med = median(t);
                    print("prefill batch=%d tokens=%d runs=%d median_s=%.4f min_s=%.4f max_s=%.4f tokens_per_s=%.1f",
                            batch, tokens, runs, med, min(t), max(t), batch * tokens / med);
                }
                case "generate" -> {
                    rt.generate(random(rnd, 1, 16, vocab), 8, Intervention.none()); // warm-up: builds the cache session
                    for (int b : new int[]{1, batch}) {
                        double[] t = new double[runs];
                        int produced = 0;
                        for (int i = 0; i < runs; i++) {
                            List<int[]> prompts = random(rnd, b, 16, vocab);
                            long s = System.nanoTime();
                            GenerationResult g = rt.generate(prompts, tokens, Intervention.none());
                            t[i] = seconds(s);
                            produced = g.tokens().stream().mapToInt(x -> x.length).sum();
                        }
                        double med = median(t);
                        print("generate batch=%d prompt=16 new_tokens=%d runs=%d median_s=%.4f min_s=%.4f max_s=%.4f tokens_per_s=%.1f",
                                b, produced, runs, med, min(t), max(t), produced / med);
                    }
                }
                default -> {
                    System.err.println("unknown phase " + phase);
                    System.exit(2);
                }
            }
        }
    }

    private static List<int[]> random(SplittableRandom rnd, int n, int len, int vocab) {
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(rnd.ints(len, 0, vocab).toArray());
        return out;
    }

    private static double seconds(long since) { return (System.nanoTime() - since) / 1e9; }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static double min(double[] v) { return Arrays.stream(v).min().orElse(Double.NaN); }

    private static double max(double[] v) { return Arrays.stream(v).max().orElse(Double.NaN); }

    private static void print(String format, Object... args) {
        System.out.println(String.format(Locale.ROOT, format, args));
    }
}
