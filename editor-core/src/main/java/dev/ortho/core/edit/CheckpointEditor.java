package dev.ortho.core.edit;

import dev.ortho.core.edit.quant.QuantScan;
import dev.ortho.core.edit.vectorization.VectorOpsProvider;
import dev.ortho.core.provenance.EditParameters;
import dev.ortho.core.provenance.EditedTensor;
import dev.ortho.core.provenance.FileDigest;
import dev.ortho.core.provenance.LayerKernelRecord;
import dev.ortho.core.provenance.Manifest;
import dev.ortho.core.provenance.ManifestJson;
import dev.ortho.core.provenance.PartInfo;
import dev.ortho.core.provenance.ToolInfo;
import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.OrthoIoException;
import dev.ortho.formats.checkpoint.CheckpointWriter;
import dev.ortho.formats.config.ModelConfig;
import dev.ortho.formats.safetensors.SafetensorsFile;
import dev.ortho.formats.safetensors.SafetensorsWriter;
import dev.ortho.formats.safetensors.TensorLayout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.CompletableFuture;
import java.util.Map;

/**
 * Runs a weight edit end to end: plan, stream every shard through the kernel (or copy it), copy
 * the non-weight files, write the index and the manifest, and publish the directory atomically.
 * Nothing is written before the plan has validated the whole input.
 */
public final class CheckpointEditor {

    private static final Logger LOG = LoggerFactory.getLogger(CheckpointEditor.class);

    private CheckpointEditor() {}

    public record Result(Path out, Manifest manifest, EditPlan plan) {}

    public static Result ablate(AblationRequest req, ProgressListener progress) {
        try (LoadedModel model = LoadedModel.open(req.model(), req.arch(), req.archSpecFile())) {
            ModelConfig config = model.config();
            DirectionResolver.Resolved directions = DirectionResolver.resolve(req.directions(), config.hiddenSize(), config.numLayers());
            EditOptions options = req.options();
            // Quantized and adapter checkpoints are refused here, before anything is written.
            QuantScan quant = model.quantScan();
            quant.requireEditable(model.checkpoint().directory());
            if (options.dequantizeEdited() && quant.fp8().isEmpty()) {
                throw new InvalidInputException(req.model(), null, "--dequantize-edited applies to block-FP8 checkpoints only;"
                        + " this one has no quantization_config with quant_method fp8 and weight_block_size");
            }
            EditRecipe recipe = options.recipe(directions.basis());
            EditPlan plan = EditPlanner.plan(model.spec(), model.facts(), model.sourceTensors(),
                    t -> model.shard(t.file()).data(t.info()), recipe, options, quant);
            for (String w : plan.warnings()) LOG.warn(w);

            // A part of a scaled-out run edits only its group's shards, into its own part directory.
            Map<String, Integer> assignment = null;
            Path out = req.out();
            if (req.shardGroup().isPresent()) {
                Map<String, Long> sizes = new LinkedHashMap<>();
                for (SafetensorsFile f : model.checkpoint().shards()) sizes.put(f.path().getFileName().toString(), f.size());
                assignment = ShardGroup.assign(sizes, req.shardGroup().get().count());
                out = partDirectory(req);
            }
            Map<String, Integer> groups = assignment;
            int group = req.shardGroup().map(ShardGroup::index).orElse(0);
            Map<String, List<PlannedTensor>> mine = new LinkedHashMap<>();
            plan.shards().forEach((file, tensors) -> {
                if (groups == null || groups.get(file) == group) mine.put(file, tensors);
            });

            Path inputDir = model.checkpoint().directory();
            try (CheckpointWriter writer = CheckpointWriter.create(out, req.force(), List.of(inputDir));
                 ProjectionKernel kernel = new ProjectionKernel(options.threads())) {
                long shardBytes = 0;
                for (SafetensorsFile f : model.checkpoint().shards()) {
                    if (mine.containsKey(f.path().getFileName().toString())) shardBytes += f.size();
                }
                writer.requireSpace(shardBytes);
                progress.started(mine.values().stream().flatMap(List::stream).mapToLong(t -> t.source().byteLength()).sum(),
                        (int) mine.values().stream().mapToLong(List::size).sum());
                ShardOutput written = writeShards(model, plan, mine, writer, kernel, options, progress);
                List<FileDigest> inputs = written.inputs();
                List<FileDigest> outputs = written.outputs();
                if (groups == null || group == 0) copyAuxiliary(model, writer, plan, inputs, outputs);
                List<String> warnings = new ArrayList<>(plan.warnings());
                for (EditedTensor e : written.edits()) {
                    String w = Fp8Writing.survivalWarning(e);
                    if (w != null) {
                        LOG.warn(w);
                        warnings.add(w);
                    }
                }

                Map<String, Object> indexMeta = new LinkedHashMap<>();
                String sourceIndexSha = null;
                if (model.checkpoint().sharded()) {
                    indexMeta.putAll(model.checkpoint().index().orElseThrow().metadata());
                    if (indexMeta.containsKey("total_parameters")) {
                        indexMeta.put("total_parameters", plan.all().stream().mapToLong(t -> t.source().elementCount()).sum());
                    }
                    Path indexIn = model.checkpoint().directory().resolve("model.safetensors.index.json");
                    FileDigest indexDigest = digest(indexIn.toString(), Files.readAllBytes(indexIn));
                    inputs.add(indexDigest);
                    sourceIndexSha = indexDigest.sha256();
                    if (groups == null) {
                        byte[] index = writer.writeIndex(indexMeta, written.weightMap());
                        outputs.add(digest("model.safetensors.index.json", index));
                    }
                }
                PartInfo part = null;
                if (groups != null) {
                    Map<String, List<String>> shardTensors = new LinkedHashMap<>();
                    mine.forEach((file, tensors) -> shardTensors.put(file, tensors.stream().map(PlannedTensor::outputName).toList()));
                    part = new PartInfo(group, req.shardGroup().get().count(), groups, shardTensors,
                            model.checkpoint().sharded(), indexMeta, sourceIndexSha);
                }
                Manifest manifest = new Manifest(Manifest.FORMAT, ToolInfo.current(),
                        Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), req.commandLine(),
                        groups == null ? "ablate" : "ablate-part", inputs, directions.record(),
                        parameters(model, plan, options, kernel, recipe, req.directions()), written.edits(), outputs, warnings, part);
                writer.writeFile(Manifest.FILE_NAME, ManifestJson.toBytes(manifest));
                writer.commit();
                return new Result(out, manifest, plan);
            } catch (IOException e) {
                throw new OrthoIoException(out, "writing the edited checkpoint failed", e);
            }
        }
    }

    /** The part directory of a --shard-group worker inside the shared output location (created if needed). */
    private static Path partDirectory(AblationRequest req) {
        try {
            Files.createDirectories(req.out());
        } catch (IOException e) {
            throw new OrthoIoException(req.out(), "cannot create the shared output location", e);
        }
        return req.out().resolve(req.shardGroup().orElseThrow().partName());
    }

    private record ShardOutput(List<FileDigest> inputs, List<FileDigest> outputs, List<EditedTensor> edits,
                               Map<String, String> weightMap) {}

    /**
     * Streams every planned shard through the kernel (or copies it) into the writer. Bytes that are
     * not edited are copied by the operating system; each input file is hashed from its mapping on
     * a thread of its own (different files on different cores), and a shard whose output is provably
     * its input byte for byte takes the input's digest instead of being hashed again. Block-FP8 writers
     * and their scales are computed by {@link Fp8Writing} (which may need the weight and the scale from
     * different shards).
     */
    private static ShardOutput writeShards(LoadedModel model, EditPlan plan, Map<String, List<PlannedTensor>> shards, CheckpointWriter writer,
                                           ProjectionKernel kernel, EditOptions options, ProgressListener progress) throws IOException {
        List<EditedTensor> edits = new ArrayList<>();
        Map<String, String> weightMap = new LinkedHashMap<>();
        List<CompletableFuture<String>> inputShas = new ArrayList<>();
        List<CompletableFuture<String>> outputShas = new ArrayList<>();
        List<Long> outputSizes = new ArrayList<>();
        ExecutorService hashers = options.hash() ? FileHashers.open(shards.size()) : null;
        List<SharedPrefix> prefixes = new ArrayList<>();
        try (Fp8Writing fp8 = new Fp8Writing(model, VectorOpsProvider.get(), plan, options.threads())) {
            if (hashers != null) {
                for (Map.Entry<String, List<PlannedTensor>> e : shards.entrySet()) {
                    SafetensorsFile in = model.shard(e.getKey());
                    SharedPrefix prefix = SharedPrefix.plan(in, e.getValue());
                    prefixes.add(prefix);
                    inputShas.add(CompletableFuture.supplyAsync(() -> SharedPrefix.hashInput(in, prefix), hashers));
                }
            }
            int shardIndex = 0;
            for (Map.Entry<String, List<PlannedTensor>> e : shards.entrySet()) {
                String fileName = e.getKey();
                SafetensorsFile in = model.shard(fileName);
                long dataStart = in.header().dataStart();
                List<TensorLayout> layout = e.getValue().stream()
                        .map(t -> new TensorLayout(t.outputName(), t.outputDtype(), t.source().shape())).toList();
                try (SafetensorsWriter out = writer.newShard(fileName, in.header().metadata(), layout, false)) {
                    if (UnchangedShard.is(in, out, e.getValue())) {
                        // The output is the input byte for byte: one copy, and the input's digest is its digest.
                        out.transfer(in.channel(), dataStart, in.size() - dataStart);
                        for (PlannedTensor t : e.getValue()) {
                            weightMap.put(t.outputName(), fileName);
                            progress.tensorStarted(t.outputName(), t.source().byteLength());
                            progress.advanced(t.source().byteLength());
                            progress.tensorDone(t.outputName());
                        }
                        outputShas.add(hashers == null ? null : inputShas.get(shardIndex));
                    } else {
                        try (ShardPipeline pipe = new ShardPipeline(in, out, options.hash(), hashers == null ? null : prefixes.get(shardIndex))) {
                            for (PlannedTensor t : e.getValue()) {
                                weightMap.put(t.outputName(), fileName);
                                long position = dataStart + t.source().begin(), length = t.source().byteLength();
                                progress.tensorStarted(t.outputName(), length);
                                switch (t.action()) {
                                    case COPY, UNTIED_HEAD -> pipe.copy(position, length);
                                    case FP8_SCALE -> pipe.emit(fp8.scale(t));
                                    case EDIT -> {
                                        if (t.fp8() != null) {
                                            pipe.emit(fp8.weight(t));
                                            fp8.weightWritten(t);
                                            progress.advanced(length);
                                            edits.add(fp8.editedTensor(t, fileName));
                                            break;
                                        }
                                        // Mapped for this tensor only: unmapping afterwards keeps resident memory bounded.
                                        try (Arena tensorArena = Arena.ofShared()) {
                                            MemorySegment src = in.mapTensor(t.source(), tensorArena);
                                            ProjectionStats stats = project(kernel, src, t, chunk -> {
                                                pipe.emit(chunk);
                                                progress.advanced(chunk.byteSize());
                                            });
                                            edits.add(new EditedTensor(t.outputName(), fileName, t.role().role().name(), t.role().layer(),
                                                    t.source().dtype().name(), t.source().shape(), t.layout().name(),
                                                    stats.frobeniusBefore(), stats.frobeniusAfter(), stats.maxLeftover(),
                                                    t.alpha(), t.basisLayer()));
                                        }
                                    }
                                }
                                if (!t.edited()) progress.advanced(length);
                                progress.tensorDone(t.outputName());
                            }
                            String sha = pipe.finish();
                            outputShas.add(sha == null ? null : CompletableFuture.completedFuture(sha));
                        }
                    }
                    // CheckpointWriter.commit fsyncs every file before publishing: no wait here, so this
                    // shard's writeback overlaps the next shard's work.
                    out.finish(false);
                }
                outputSizes.add(Files.size(writer.stagingDirectory().resolve(fileName)));
                shardIndex++;
            }
            List<FileDigest> inputs = new ArrayList<>();
            List<FileDigest> outputs = new ArrayList<>();
            int i = 0;
            for (String fileName : shards.keySet()) {
                SafetensorsFile in = model.shard(fileName);
                inputs.add(new FileDigest(in.path().toString(), in.size(), hashers == null ? null : FileHashers.join(inputShas.get(i))));
                CompletableFuture<String> out = outputShas.get(i);
                outputs.add(new FileDigest(fileName, outputSizes.get(i), out == null ? null : FileHashers.join(out)));
                i++;
            }
            return new ShardOutput(inputs, outputs, edits, weightMap);
        } finally {
            if (hashers != null) hashers.shutdownNow();
        }
    }

    private static void copyAuxiliary(LoadedModel model, CheckpointWriter writer, EditPlan plan,
                                      List<FileDigest> inputs, List<FileDigest> outputs) throws IOException {
        for (Path aux : model.checkpoint().auxiliaryFiles()) {
            String name = aux.getFileName().toString();
            byte[] bytes = Files.readAllBytes(aux);
            inputs.add(digest(aux.toString(), bytes));
            byte[] out = bytes;
            if (plan.untied() && name.equals("config.json")) {
                out = ModelConfig.withTieWordEmbeddings(bytes, false);
            }
            if (name.equals("config.json")) out = Fp8Writing.configForDequantized(out, plan);
            writer.writeFile(name, out);
            outputs.add(digest(name, out));
        }
    }

    private static FileDigest digest(String path, byte[] bytes) {
        return new FileDigest(path, bytes.length, Sha256Hex.of(Sha256Hex.newDigest().digest(bytes)));
    }

    /**
     * The one place a planned tensor's bytes are computed: {@code ortho ablate} and the runtime's
     * weight-level intervention ({@link EditedWeights}) both call it, so they give the same bytes.
     */
    static ProjectionStats project(ProjectionKernel kernel, MemorySegment src, PlannedTensor t, TensorSink sink) {
        return kernel.project(src, t.source().dtype(), t.source().shapeArray(), t.layout(), t.basis(), t.alpha(),
                t.normPreserving(), sink);
    }

    private static EditParameters parameters(LoadedModel model, EditPlan plan, EditOptions o, ProjectionKernel kernel,
                                             EditRecipe recipe, DirectionRequest directions) {
        List<String> components = EditOptions.ALL_COMPONENTS.stream().filter(o.components()::contains).toList();
        return new EditParameters(model.spec().name(), o.alpha(), o.layers().text(), components,
                o.tiedPolicy().cliName(), plan.tied(), plan.untied(), o.allowApproximate(), plan.approximate(),
                o.threads(), kernel.arithmetic(), o.hash() ? "sha256" : "none", recipe.normPreserving(),
                directions.biproject() != null, kernelRecord(recipe.kernels()), recipe.basis().k());
    }

    static Map<String, LayerKernelRecord> kernelRecord(LayerKernels k) {
        if (k == null) return null;
        Map<String, LayerKernelRecord> m = new LinkedHashMap<>();
        if (k.attn() != null) m.put("attn", new LayerKernelRecord(k.attn().peak(), k.attn().max(), k.attn().min(), k.attn().distance()));
        if (k.mlp() != null) m.put("mlp", new LayerKernelRecord(k.mlp().peak(), k.mlp().max(), k.mlp().min(), k.mlp().distance()));
        return m;
    }
}
