package dev.ortho.cli;

import dev.ortho.core.arch.ArchChoice;
import dev.ortho.core.pipeline.RunPlan;
import dev.ortho.core.search.SearchRequest;
import dev.ortho.core.search.SearchSettings;
import dev.ortho.formats.InvalidInputException;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;

/** The options of ortho search, shared with ortho fragility: prompt splits, where to write, how to search. */
final class SearchOptions {

    @Option(names = "--harmful", paramLabel = "FILE", description = "Harmful instructions (train, or all to split).")
    Path harmful;

    @Option(names = "--harmless", paramLabel = "FILE", description = "Harmless instructions (train, or all to split).")
    Path harmless;

    @Option(names = "--harmful-val", paramLabel = "FILE", description = "Harmful validation instructions (score the trials).")
    Path harmfulVal;
    @Option(names = "--harmless-val", paramLabel = "FILE", description = "Harmless validation instructions (score the trials).")
    Path harmlessVal;
    @Option(names = "--harmful-test", paramLabel = "FILE", description = "Harmful test instructions (measure the chosen edit only).")
    Path harmfulTest;
    @Option(names = "--harmless-test", paramLabel = "FILE", description = "Harmless test instructions (measure the chosen edit only).")
    Path harmlessTest;

    @Option(names = "--candidates", paramLabel = "FILE",
            description = "Search from this candidates file of ortho extract (with its harmless means) instead of extracting one.")
    Path candidates;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    @Option(names = "--trials", paramLabel = "N", defaultValue = "" + SearchSettings.DEFAULT_TRIALS, description = "Edits tried (rounded up to whole generations; default ${DEFAULT-VALUE}).")
    int trials;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Optimizer seed: the same seed tries the same edits (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--population", paramLabel = "N", defaultValue = "" + SearchSettings.DEFAULT_POPULATION, description = "Edits per generation (default ${DEFAULT-VALUE}).")
    int population;

    @Option(names = "--max-kl", paramLabel = "K", defaultValue = "0.1",
            description = "The chosen edit keeps the first-token KL on harmless validation prompts under K (default ${DEFAULT-VALUE}).")
    double maxKl;

    @Option(names = "--continuation-tokens", paramLabel = "N", defaultValue = "" + SearchSettings.DEFAULT_CONTINUATION_TOKENS,
            description = "Greedy tokens after each harmless prompt over which the continuation KL is measured (default ${DEFAULT-VALUE}).")
    int continuationTokens;

    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "64",
            description = "Tokens generated when judging refusals by substrings (default ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--check", paramLabel = "N", defaultValue = "" + SearchSettings.DEFAULT_CHECK,
            description = "Front points under --max-kl whose generations are judged (default ${DEFAULT-VALUE}).")
    int check;

    @Option(names = "--max-directions", paramLabel = "K", defaultValue = "" + SearchSettings.DEFAULT_MAX_DIRECTIONS, description = "Largest number of directions tried (default ${DEFAULT-VALUE}).")
    int maxDirections;

    @Option(names = "--no-biproject", description = "Do not try biprojected directions.")
    boolean noBiproject;

    @Option(names = "--no-norm-preserving", description = "Do not try norm-preserving edits (they cost a weight edit per trial).")
    boolean noNormPreserving;

    @Option(names = "--resume", description = "Continue the search whose trial log is in OUT (same seed and settings).")
    boolean resume;

    @Option(names = "--force", description = "Start over in an OUT that holds an earlier search, and replace OUT/model.")
    boolean force;

    @Option(names = "--no-filter", description = "Keep every validation prompt (skip the baseline refusal-score filter).")
    boolean noFilter;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    SearchSettings settings() {
        return new SearchSettings(trials, seed, population, maxKl, continuationTokens, maxNewTokens, check, maxDirections,
                !noBiproject, !noNormPreserving);
    }

    /** The request for {@code model}, results in {@code dir}; {@code fragility}: threshold or NaN. */
    SearchRequest request(Path model, Path dir, PromptOptions prompts, boolean write, double fragility, ArchChoice arch) {
        List<String> none = List.of();
        if (harmfulVal != null || harmlessVal != null || harmfulTest != null || harmlessTest != null) {
            if (harmfulVal == null || harmlessVal == null) throw new InvalidInputException("give both --harmful-val and --harmless-val");
            if ((harmfulTest == null) != (harmlessTest == null)) throw new InvalidInputException("give both --harmful-test and --harmless-test, or neither");
            if (candidates == null && (harmful == null || harmless == null))
                throw new InvalidInputException("give --harmful and --harmless training prompts, or --candidates");
            return new SearchRequest(model, dir, harmful == null ? none : prompts.read(harmful), harmless == null ? none : prompts.read(harmless),
                    prompts.read(harmfulVal), prompts.read(harmlessVal), harmfulTest == null ? none : prompts.read(harmfulTest),
                    harmlessTest == null ? none : prompts.read(harmlessTest), prompts.refusalTokens, !noFilter, candidates, prompts.batch,
                    prompts.threads(), resume, write, force, AblateCommand.commandLine(), fragility, arch);
        }
        if (harmful == null || harmless == null) throw new InvalidInputException("give --harmful and --harmless (split 60/20/20), or the split files");
        RunPlan.Split hs = RunPlan.Split.of(prompts.read(harmful), harmful.toString()), ls = RunPlan.Split.of(prompts.read(harmless), harmless.toString());
        return new SearchRequest(model, dir, hs.train(), ls.train(), hs.val(), ls.val(), hs.test(), ls.test(), prompts.refusalTokens, !noFilter,
                candidates, prompts.batch, prompts.threads(), resume, write, force, AblateCommand.commandLine(), fragility, arch);
    }
}
