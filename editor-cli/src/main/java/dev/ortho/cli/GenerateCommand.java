package dev.ortho.cli;

import dev.ortho.core.runtime.GenerationResult;
import dev.ortho.core.runtime.Intervention;
import dev.ortho.core.runtime.ModelRuntime;
import dev.ortho.core.runtime.RuntimeOptions;
import dev.ortho.core.text.InstructionFiles;
import dev.ortho.formats.InvalidInputException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
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

@Command(name = "generate", description = {"Greedy generation with the KV cache from a text prompt (--prompt) or an instruction file",
        "(--prompts, run in batches), optionally with the chat template (--chat) and an intervention",
        "(--ablate, --add). Prints the decoded continuation (special tokens dropped); stops at EOS or --max-new-tokens."})
final class GenerateCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(GenerateCommand.class);

    @Parameters(index = "0", paramLabel = "MODEL", description = "Checkpoint directory (with tokenizer.json).")
    Path model;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "One text prompt.")
    String prompt;

    @Option(names = "--prompts", paramLabel = "FILE", description = "Instruction file (.json list, .jsonl, .txt lines, .csv).")
    Path prompts;

    @Option(names = "--csv-column", paramLabel = "NAME", defaultValue = InstructionFiles.DEFAULT_CSV_COLUMN,
            description = "Column of a CSV instruction file (default ${DEFAULT-VALUE}).")
    String csvColumn;

    @Option(names = "--chat", description = "Render each prompt as a user message with the chat template and the generation prompt.")
    boolean chat;

    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "64", description = "Tokens generated at most (default ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "8", description = "Prompts decoded together (default ${DEFAULT-VALUE}).")
    int batch;

    @Mixin ThreadsOption threads;

    @Option(names = "--json", description = "Print prompts, token ids and texts as JSON.")
    boolean json;

    @Mixin InterventionOptions intervention;
    @Mixin ArchOptions archOptions;
    @Mixin WeightsOption weights;
    @Mixin Verbosity verbosity;
    @Spec CommandSpec spec;

    /** One prompt's result. */
    record Completion(String prompt, int[] promptIds, int[] tokens, String text, boolean stoppedAtEos) {}

    @Override
    public Integer call() {
        if ((prompt == null) == (prompts == null)) throw new InvalidInputException("give exactly one of --prompt and --prompts");
        if (maxNewTokens < 1) throw new InvalidInputException("--max-new-tokens must be >= 1");
        if (batch < 1) throw new InvalidInputException("--batch must be >= 1");
        List<String> texts = prompt != null ? List.of(prompt) : InstructionFiles.read(prompts, csvColumn);
        RuntimeOptions opts = weights.apply(RuntimeOptions.defaults().withThreads(threads.forRuntime()));
        List<Completion> done = new ArrayList<>();
        try (PromptText tok = PromptText.load(model); ModelRuntime rt = ModelRuntime.open(model, opts, archOptions.choice())) {
            Intervention iv = intervention.build(rt.config());
            List<int[]> ids = new ArrayList<>();
            for (String t : texts) {
                int[] p = tok.encode(t, chat);
                if (p.length == 0) throw new InvalidInputException(prompts, null, "a prompt encodes to no tokens: " + PromptText.quoted(t));
                ids.add(p);
            }
            for (int i = 0; i < ids.size(); i += batch) {
                int end = Math.min(ids.size(), i + batch);
                GenerationResult g = rt.generate(ids.subList(i, end), maxNewTokens, iv);
                for (int j = 0; j < end - i; j++) {
                    int[] out = g.tokens().get(j);
                    done.add(new Completion(texts.get(i + j), ids.get(i + j), out, tok.decode(out), g.stoppedAtEos().get(j)));
                }
                LOG.debug("generated {}/{} prompts", end, ids.size());
            }
        }
        print(done);
        return 0;
    }

    private void print(List<Completion> done) {
        PrintWriter w = spec.commandLine().getOut();
        if (json) {
            List<Map<String, Object>> items = new ArrayList<>();
            for (Completion c : done) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("prompt", c.prompt());
                m.put("prompt_ids", c.promptIds());
                m.put("tokens", c.tokens());
                m.put("text", c.text());
                m.put("stopped_at_eos", c.stoppedAtEos());
                items.add(m);
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("model", model.toString());
            m.put("chat", chat);
            m.put("max_new_tokens", maxNewTokens);
            m.put("completions", items);
            Json.print(w, m);
            return;
        }
        if (prompt != null) {
            w.println(done.getFirst().text());
            return;
        }
        for (int i = 0; i < done.size(); i++) {
            Completion c = done.get(i);
            w.printf(Locale.ROOT, "### %d: %s%n%s%n%n", i + 1, PromptText.quoted(c.prompt()), c.text());
        }
    }
}
