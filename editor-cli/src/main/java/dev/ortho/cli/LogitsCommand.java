package dev.ortho.cli;

import dev.ortho.core.runtime.Capture;
import dev.ortho.core.runtime.ForwardResult;
import dev.ortho.core.runtime.Intervention;
import dev.ortho.core.runtime.LogitComparison;
import dev.ortho.core.runtime.ModelRuntime;
import dev.ortho.core.runtime.RuntimeOptions;
import dev.ortho.formats.safetensors.DType;
import dev.ortho.formats.safetensors.SafetensorsWriter;
import dev.ortho.formats.safetensors.TensorLayout;
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

@Command(name = "logits", description = {"Run a checkpoint forward on token ids and show each position's top tokens,",
        "optionally with an intervention (--ablate, --add); --out saves the logits [T, vocab] as safetensors."})
final class LogitsCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MODEL", description = "Checkpoint directory.")
    Path model;

    @Option(names = "--ids", required = true, paramLabel = "IDS", description = "Token ids, e.g. 1,2,3.")
    String ids;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "5", description = "Tokens shown per position (default ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--out", paramLabel = "FILE.safetensors", description = "Write the logits (F32 [T, vocab], tensor 'logits').")
    Path out;

    @Option(names = "--threads", paramLabel = "N", description = "ONNX Runtime threads (default: all cores).")
    Integer threads;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Mixin InterventionOptions intervention;
    @Mixin Verbosity verbosity;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        int[] seq = TokenIds.parse(ids, null, 0);
        RuntimeOptions opts = RuntimeOptions.defaults().withThreads(threads == null ? 0 : threads);
        try (ModelRuntime rt = ModelRuntime.open(model, opts)) {
            Intervention iv = intervention.build(rt.config());
            ForwardResult r = rt.forward(List.of(seq), iv, Capture.logits());
            int v = r.vocab();
            float[] logits = r.logits().getFirst();
            if (out != null) write(out, logits, seq.length, v);
            PrintWriter w = spec.commandLine().getOut();
            List<Map<String, Object>> positions = new ArrayList<>();
            for (int p = 0; p < seq.length; p++) {
                float[] row = r.logitsRow(0, p);
                double[] d = new double[v];
                for (int j = 0; j < v; j++) d[j] = row[j];
                double lse = logSumExp(d);
                List<Map<String, Object>> top = new ArrayList<>();
                for (int id : LogitComparison.topK(d, topK)) {
                    Map<String, Object> t = new LinkedHashMap<>();
                    t.put("id", id);
                    t.put("logit", row[id]);
                    t.put("logprob", d[id] - lse);
                    top.add(t);
                }
                Map<String, Object> pos = new LinkedHashMap<>();
                pos.put("position", p);
                pos.put("token", seq[p]);
                pos.put("top", top);
                positions.add(pos);
            }
            if (json) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("model", model.toString());
                m.put("intervention", iv.getClass().getSimpleName().toLowerCase(Locale.ROOT));
                m.put("vocab", v);
                m.put("positions", positions);
                if (out != null) m.put("out", out.toString());
                Json.print(w, m);
            } else {
                for (Map<String, Object> pos : positions) {
                    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%4d  %6d  ->", pos.get("position"), pos.get("token")));
                    @SuppressWarnings("unchecked") List<Map<String, Object>> top = (List<Map<String, Object>>) pos.get("top");
                    for (Map<String, Object> t : top) {
                        sb.append(String.format(Locale.ROOT, "  %d (%.4f, p=%.3f)", t.get("id"), (Float) t.get("logit"),
                                Math.exp((Double) t.get("logprob"))));
                    }
                    w.println(sb);
                }
                if (out != null) w.println("logits written to " + out);
            }
        }
        return 0;
    }

    private static double logSumExp(double[] d) {
        double max = Double.NEGATIVE_INFINITY;
        for (double x : d) max = Math.max(max, x);
        double s = 0;
        for (double x : d) s += Math.exp(x - max);
        return max + Math.log(s);
    }

    private static void write(Path file, float[] logits, int t, int v) {
        try (SafetensorsWriter w = SafetensorsWriter.create(file, Map.of("format", "pt"),
                List.of(new TensorLayout("logits", DType.F32, List.of((long) t, (long) v))))) {
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(logits.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            buf.asFloatBuffer().put(logits);
            w.write(buf);
            w.finish();
        }
    }
}
