package dev.ortho.cli;

import dev.ortho.core.edit.AblationRequest;
import dev.ortho.core.edit.CheckpointEditor;
import dev.ortho.core.edit.DirectionRequest;
import dev.ortho.core.edit.LayerKernels;
import dev.ortho.core.edit.EditOptions;
import dev.ortho.core.edit.LayerSelection;
import dev.ortho.core.edit.TiedPolicy;
import dev.ortho.core.provenance.EditedTensor;
import dev.ortho.formats.InvalidInputException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "ablate", description = {
        "Project a direction out of every residual-stream writer: W' = W - a r (r^T W) for [hidden, in] weights,",
        "E' = E - a (E r) r^T for embeddings, b' = b - a (r.b) r for writer biases. Writes a new checkpoint",
        "(same shards, names and order) with ortho-manifest.json; the input is never modified."})
final class AblateCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MODEL", description = "Checkpoint directory (or a .safetensors file).")
    Path model;

    @Option(names = "--direction", required = true, paramLabel = "FILE[:TENSOR]",
            description = {"Direction: .safetensors (FILE:TENSOR), .npy, .pt or .json; [hidden] or per-layer [layers, hidden].",
                    "Given k times: the span of the k directions is removed (orthonormalized in float64 in the order given)."})
    List<String> directions;

    @Option(names = "--direction-index", paramLabel = "LAYER[@POS]",
            description = {"With a candidates file (ortho extract) as --direction: the candidate at a fractional layer,",
                    "e.g. 12.4 (layers 12 and 13 normalized, mixed 0.6/0.4, renormalized) at position POS (default -1).",
                    "Given once per --direction when several are given ('-' for a direction without one)."})
    List<String> directionIndices;

    @Option(names = "--biproject", paramLabel = "CANDIDATES_FILE",
            description = {"Per layer l, remove from each direction its component along the normalized harmless mean",
                    "of layer l (position -1), read from the candidates file of ortho extract (harmless_means)."})
    String biproject;

    @Option(names = "--norm-preserving",
            description = "Every edited write vector keeps its L2 norm: w' = |w| u/|u| with u the projected w (biases excepted).")
    boolean normPreserving;

    @Option(names = "--layer-kernel", paramLabel = "SPEC|FILE",
            description = {"Per-component strength over layers: attn=PEAK:MAX:MIN:DIST,mlp=PEAK:MAX:MIN:DIST (weight MAX at",
                    "layer PEAK, falling linearly to MIN at distance DIST, 0 beyond; times --alpha), or a JSON file",
                    "{\"attn\": {\"peak\":..,\"max\":..,\"min\":..,\"distance\":..}, \"mlp\": {...}}. A component without one gets --alpha."})
    String layerKernel;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory (must not exist).")
    Path out;

    @Option(names = "--force", description = "Replace an existing output directory.")
    boolean force;

    @Option(names = "--alpha", defaultValue = "1.0", paramLabel = "A",
            description = "Scale of the removal (default ${DEFAULT-VALUE}; negative adds the direction).")
    double alpha;

    @Option(names = "--layers", defaultValue = "all", paramLabel = "LIST",
            description = "Decoder layers whose writers are edited, e.g. 0-13,20 (default ${DEFAULT-VALUE}).")
    String layers;

    @Option(names = "--components", defaultValue = "embed,attn,mlp,bias", paramLabel = "LIST",
            description = "Writer kinds to edit: embed, attn, mlp, bias (default ${DEFAULT-VALUE}).")
    String components;

    @Option(names = "--tied-embeddings", defaultValue = "untie", paramLabel = "POLICY",
            description = "untie (default): write an explicit head with the original embedding, exact ablation;"
                    + " edit-both: edit the shared matrix; skip-embedding: leave it.")
    String tied;

    @Option(names = "--allow-approximate", description = "Edit post-norm architectures (Gemma 2/3) although it only approximates ablation.")
    boolean allowApproximate;

    @Mixin ThreadsOption threads;

    @Option(names = "--shard-group", paramLabel = "i/n",
            description = "Edit only the shards of group i (0-based) of n, into OUT/part-i-of-n; join the parts with ortho assemble.")
    String shardGroup;

    @Option(names = "--hash", defaultValue = "sha256", paramLabel = "sha256|none",
            description = "Hash inputs and outputs into the manifest (default ${DEFAULT-VALUE}). 'none' saves the"
                    + " hashing CPU (two SHA-256 streams) where it is the bottleneck; verify then cannot check file hashes.")
    String hash;

    @Option(names = "--dequantize-edited",
            description = "Block-FP8 checkpoints: store the edited weights as BF16 (exact edit; their weight_scale_inv dropped,"
                    + " config.json's quantization_config.modules_to_not_convert lists them) instead of requantizing them to FP8.")
    boolean dequantizeEdited;

    @Option(names = "--no-progress", description = "Do not draw the progress bar.")
    boolean noProgress;

    @Option(names = "--json", description = "Print the summary as JSON.")
    boolean json;

    @Mixin ArchOptions archOptions;
    @Mixin Verbosity verbosity;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        TiedPolicy policy;
        try {
            policy = TiedPolicy.parse(tied);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("--tied-embeddings: " + e.getMessage());
        }
        if (!hash.equals("sha256") && !hash.equals("none")) throw new InvalidInputException("--hash must be sha256 or none, got '" + hash + "'");
        EditOptions options = new EditOptions(alpha, LayerSelection.parse(layers), EditOptions.parseComponents(components),
                policy, allowApproximate, threads.count(), hash.equals("sha256"),
                normPreserving, layerKernel == null ? null : LayerKernels.parse(layerKernel), dequantizeEdited);
        DirectionRequest request = new DirectionRequest(directions, directionIndices, biproject);
        AblationRequest req = new AblationRequest(model, request, out, force, options, archOptions.arch(),
                archOptions.archSpec(), commandLine(),
                java.util.Optional.ofNullable(shardGroup).map(dev.ortho.core.edit.ShardGroup::parse));
        long t0 = System.nanoTime();
        CheckpointEditor.Result result = CheckpointEditor.ablate(req, ProgressBar.forTerminal(!noProgress && !json));
        double secs = (System.nanoTime() - t0) / 1e9;

        PrintWriter o = spec.commandLine().getOut();
        List<EditedTensor> edits = result.manifest().edits();
        long bytes = result.plan().totalBytes();
        double worst = edits.stream().mapToDouble(EditedTensor::maxLeftover).max().orElse(0);
        if (json) {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("out", result.out().toString());
            s.put("arch", result.manifest().parameters().arch());
            s.put("edited_tensors", edits.size());
            s.put("copied_tensors", result.plan().all().size() - edits.size());
            s.put("bytes", bytes);
            s.put("seconds", secs);
            s.put("max_leftover", worst);
            s.put("untied", result.plan().untied());
            s.put("approximate", result.plan().approximate());
            s.put("direction_count", result.manifest().parameters().directionCount());
            s.put("norm_preserving", result.manifest().parameters().normPreserving());
            s.put("biproject", result.manifest().parameters().biproject());
            List<EditedTensor> fp8 = edits.stream().filter(e -> e.quantized() != null).toList();
            if (!fp8.isEmpty()) {
                s.put("fp8_tensors", fp8.size());
                s.put("fp8_min_survived_fraction", fp8.stream().mapToDouble(e -> e.quantized().survivedFraction()).min().orElse(1));
            }
            s.put("warnings", result.manifest().warnings());
            Json.print(o, s);
        } else {
            o.printf("Edited %d tensors, copied %d (%s in %.1f s, %s/s) with %s arithmetic on %d threads%n", edits.size(),
                    result.plan().all().size() - edits.size(), Units.bytes(bytes), secs, Units.bytes((long) (bytes / Math.max(secs, 1e-9))),
                    result.manifest().parameters().arithmetic(), options.threads());
            o.printf("Max |r·W'| left after rounding: %.3e%n", worst);
            var p = result.manifest().parameters();
            if (p.directionCount() > 1 || p.normPreserving() || p.biproject() || p.layerKernels() != null) {
                o.printf("Variant: %d direction(s)%s%s%s%n", p.directionCount(), p.normPreserving() ? ", norm-preserving" : "",
                        p.biproject() ? ", biprojected" : "", p.layerKernels() != null ? ", layer kernels " + p.layerKernels().keySet() : "");
            }
            List<EditedTensor> fp8 = edits.stream().filter(e -> e.quantized() != null).toList();
            if (!fp8.isEmpty()) {
                o.printf("Block-FP8 writers: %d %s; least share of an edit that survived: %.3f (per tensor in the manifest)%n",
                        fp8.size(), fp8.get(0).quantized().output().equals("requantized") ? "requantized with new block scales"
                                : "stored as BF16 (modules_to_not_convert)",
                        fp8.stream().mapToDouble(e -> e.quantized().survivedFraction()).min().orElse(1));
            }
            if (result.plan().untied()) o.println("Tied head untied: lm_head.weight holds the original embedding; tie_word_embeddings=false");
            if (result.plan().approximate()) o.println("APPROXIMATE: post-norm writers edited (--allow-approximate); not equivalent to ablation");
            o.printf("Wrote %s (manifest: %s)%n", result.out(), result.out().resolve("ortho-manifest.json"));
            for (String w : result.manifest().warnings()) o.println("warning: " + w);
        }
        return 0;
    }

    static List<String> commandLine() {
        List<String> argv = new java.util.ArrayList<>();
        argv.add("ortho");
        argv.addAll(OrthoCommand.commandLine);
        return argv;
    }

}
