package dev.ortho.core.edit;

import dev.ortho.formats.safetensors.SafetensorsFile;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What {@code ortho inspect} reports: the model as Ortho sees it and what an edit with the
 * default options would touch.
 */
public record Inspection(String path, String arch, String archDescription, String modelType, int hidden, int layers,
                         Map<String, Long> dtypes, List<Shard> shards, long parameters, boolean tied,
                         boolean postNormWriters, List<Writer> writers, List<String> warnings) {

    public record Shard(String file, long bytes, int tensors) {}

    public record Writer(String name, String role, int layer, String layout, String dtype, List<Long> shape) {}

    public static Inspection of(Path model, Optional<String> arch, Optional<Path> archSpec) {
        try (LoadedModel m = LoadedModel.open(model, arch, archSpec)) {
            EditOptions everything = new EditOptions(1.0, LayerSelection.ALL, java.util.Set.copyOf(EditOptions.ALL_COMPONENTS),
                    TiedPolicy.UNTIE, true, 1);
            EditPlan plan = EditPlanner.plan(m.spec(), m.facts(), m.sourceTensors(),
                    t -> m.shard(t.file()).data(t.info()),
                    // Planning only lists the writers; no direction is applied, so a placeholder basis does.
                    everything.recipe(EditBasis.single(new double[Math.max(1, m.facts().hidden())])), everything);
            Map<String, Long> dtypes = new TreeMap<>();
            List<Shard> shards = new ArrayList<>();
            long params = 0;
            for (SafetensorsFile f : m.checkpoint().shards()) {
                shards.add(new Shard(f.path().getFileName().toString(), f.size(), f.tensors().size()));
                for (var t : f.tensors()) {
                    dtypes.merge(t.dtype().name(), t.elementCount(), Long::sum);
                    params += t.elementCount();
                }
            }
            List<Writer> writers = plan.edits().stream().map(t -> new Writer(t.outputName(), t.role().role().name(),
                    t.role().layer(), t.layout().name(), t.source().dtype().name(), t.source().shape())).toList();
            List<String> warnings = new ArrayList<>(plan.warnings().stream()
                    .filter(w -> !w.startsWith("approximate edit")).toList());
            if (m.spec().postNormWriters()) {
                warnings.add("post-norm architecture: editing attention/MLP writers only approximates ablation;"
                        + " ortho ablate refuses unless --allow-approximate (or --components embed)");
            }
            if (plan.tied()) {
                warnings.add("tied embeddings: the default --tied-embeddings untie writes an explicit lm_head.weight"
                        + " with the original embedding, so the edit equals directional ablation");
            }
            return new Inspection(m.checkpoint().directory().toString(), m.spec().name(), m.spec().description(),
                    m.config().modelType(), m.config().hiddenSize(), m.config().numLayers(), dtypes, shards, params,
                    plan.tied(), m.spec().postNormWriters(), writers, warnings);
        }
    }
}
