package dev.ortho.cli;

import dev.ortho.core.numeric.Softmax;

import dev.ortho.core.runtime.Capture;
import dev.ortho.core.runtime.ForwardResult;
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

@Command(name = "logits", description = {"Run a checkpoint forward on a text prompt (--prompt, optionally --chat) or token ids (--ids)",
        "and show each position's top tokens, optionally with an intervention (--ablate, --add);",
        "--out saves input_ids, the logits [T, vocab] and with --residuals the residual stream as safetensors."})
final class LogitsCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MODEL", description = "Checkpoint directory.")
    Path model;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "Text prompt, tokenized with the model's tokenizer.")
    String prompt;

    @Option(names = "--chat", description = "Render --prompt as a user message with the chat template and the generation prompt.")
    boolean chat;

    @Option(names = "--ids", paramLabel = "IDS", description = "Token ids, e.g. 1,2,3.")
    String ids;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "5", description = "Tokens shown per position (default ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--out", paramLabel = "FILE.safetensors",
            description = "Write input_ids (I64 [T]) and logits (F32 [T, vocab]); with --residuals also residual.L.")
    Path out;

    @Option(names = "--residuals", description = "With --out: also save residual.L [T, hidden], the input of layer L (L = layers: before the final norm).")
    boolean residuals;

    @Mixin ThreadsOption threads;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Mixin InterventionOptions intervention;
    @Mixin ArchOptions archOptions;
    @Mixin WeightsOption weights;
    @Mixin Verbosity verbosity;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        if ((prompt == null) == (ids == null)) throw new InvalidInputException("give exactly one of --prompt and --ids");
        if (chat && prompt == null) throw new InvalidInputException("--chat applies to --prompt");
        if (residuals && out == null) throw new InvalidInputException("--residuals needs --out");
        if (topK < 1) throw new InvalidInputException("--top-k must be >= 1");
        try (PromptText text = prompt != null ? PromptText.load(model) : PromptText.loadIfPresent(model)) {
            int[] seq = prompt != null ? text.encode(prompt, chat) : TokenIds.parse(ids, null, 0);
            if (seq.length == 0) throw new InvalidInputException("the prompt encodes to no tokens");
            RuntimeOptions opts = weights.apply(RuntimeOptions.defaults().withThreads(threads.forRuntime()));
            try (ModelRuntime rt = ModelRuntime.open(model, opts, archOptions.choice())) {
                Intervention iv = intervention.build(rt.config());
                ForwardResult r = rt.forward(List.of(seq), iv, residuals ? Capture.everything() : Capture.logits());
                if (out != null) LogitsFile.write(out, seq, r, residuals);
                print(seq, r, iv, text);
            }
        }
        return 0;
    }

    private void print(int[] seq, ForwardResult r, Intervention iv, PromptText text) {
        int v = r.vocab();
        List<Map<String, Object>> positions = new ArrayList<>();
        for (int p = 0; p < seq.length; p++) {
            float[] row = r.logitsRow(0, p);
            double[] d = new double[v];
            for (int j = 0; j < v; j++) d[j] = row[j];
            double lse = Softmax.logSumExp(row, 0, v);
            List<Map<String, Object>> top = new ArrayList<>();
            for (int id : LogitComparison.topK(d, topK)) {
                Map<String, Object> t = new LinkedHashMap<>();
                t.put("id", id);
                if (text != null) t.put("text", text.token(id));
                t.put("logit", row[id]);
                t.put("logprob", d[id] - lse);
                top.add(t);
            }
            Map<String, Object> pos = new LinkedHashMap<>();
            pos.put("position", p);
            pos.put("token", seq[p]);
            if (text != null) pos.put("text", text.token(seq[p]));
            pos.put("top", top);
            positions.add(pos);
        }
        PrintWriter w = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("model", model.toString());
            m.put("intervention", iv.getClass().getSimpleName().toLowerCase(Locale.ROOT));
            m.put("vocab", v);
            m.put("input_ids", seq);
            m.put("positions", positions);
            if (out != null) m.put("out", out.toString());
            Json.print(w, m);
            return;
        }
        for (Map<String, Object> pos : positions) {
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%4d  %6d", pos.get("position"), pos.get("token")));
            if (text != null) sb.append(String.format(Locale.ROOT, " %-14s", PromptText.quoted((String) pos.get("text"))));
            sb.append(" ->");
            @SuppressWarnings("unchecked") List<Map<String, Object>> top = (List<Map<String, Object>>) pos.get("top");
            for (Map<String, Object> t : top) {
                sb.append("  ").append(t.get("id"));
                if (text != null) sb.append(' ').append(PromptText.quoted((String) t.get("text")));
                sb.append(String.format(Locale.ROOT, " (%.4f, p=%.3f)", (Float) t.get("logit"), Math.exp((Double) t.get("logprob"))));
            }
            w.println(sb);
        }
        if (out != null) w.println("logits written to " + out);
    }
}
