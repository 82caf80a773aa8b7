package dev.ortho.core.edit;

import dev.ortho.core.arch.ArchSpec;
import dev.ortho.core.arch.Role;
import dev.ortho.core.arch.TensorRole;
import dev.ortho.core.arch.WriterHeuristics;
import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.safetensors.TensorInfo;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Turns a checkpoint's tensor list, its architecture spec and the user's options into an
 * {@link EditPlan}, refusing anything inconsistent before a byte is written.
 */
public final class EditPlanner {

    /** Name of the head written when a tied model is untied. */
    public static final String UNTIED_HEAD_NAME = "lm_head.weight";

    /** One input tensor and the shard file it lives in. */
    public record SourceTensor(String file, TensorInfo info) {}

    /** What the planner needs to know about the model. */
    public record ModelFacts(Path checkpoint, int hidden, int numLayers, Optional<Boolean> configTied) {}

    private EditPlanner() {}

    /**
     * @param tensors   every input tensor, in shard order then header order
     * @param bytesOf   the bytes of an input tensor (to compare a redundant head with the embedding)
     * @param direction unit direction per layer; its length must be the hidden size
     */
    public static EditPlan plan(ArchSpec spec, ModelFacts model, List<SourceTensor> tensors,
                                Function<SourceTensor, MemorySegment> bytesOf, DirectionSource direction,
                                boolean perLayerDirection, EditOptions options) {
        EditBasis basis;
        if (perLayerDirection) {
            List<List<double[]>> rows = new ArrayList<>();
            for (int l = 0; l < model.numLayers(); l++) rows.add(List.of(direction.forLayer(l)));
            basis = new EditBasis(model.hidden(), rows);
        } else {
            basis = EditBasis.single(direction.forLayer(-1));
        }
        return plan(spec, model, tensors, bytesOf, options.recipe(basis), options);
    }

    /**
     * Plans the edit of {@code recipe}; {@code options} supply what concerns writing (tied policy,
     * approximation, threads). Every EDIT tensor carries its basis, α_t and basis layer.
     */
    public static EditPlan plan(ArchSpec spec, ModelFacts model, List<SourceTensor> tensors,
                                Function<SourceTensor, MemorySegment> bytesOf, EditRecipe recipe, EditOptions options) {
        boolean perLayerDirection = recipe.basis().isPerLayer();
        if (perLayerDirection && recipe.basis().perLayer().size() != model.numLayers()) {
            throw new InvalidInputException(model.checkpoint(), null, "the per-layer direction has "
                    + recipe.basis().perLayer().size() + " layers but the model has " + model.numLayers());
        }
        options.layers().requireWithin(model.numLayers());
        List<String> warnings = new ArrayList<>();

        SourceTensor embedding = null, head = null;
        for (SourceTensor t : tensors) {
            Role role = spec.classify(t.info().name()).role();
            if (role == Role.EMBEDDING && embedding == null) embedding = t;
            if (role == Role.LM_HEAD) head = t;
        }
        boolean tied = resolveTied(model, embedding, head, bytesOf, warnings);
        boolean untied = tied && embedding != null && options.tiedPolicy() == TiedPolicy.UNTIE
                && options.components().contains("embed");

        Map<String, List<PlannedTensor>> shards = new LinkedHashMap<>();
        boolean approximate = false;
        checkLayerCount(model, spec, tensors);
        for (SourceTensor t : tensors) {
            TensorInfo info = t.info();
            TensorRole role = spec.classify(info.name());
            List<PlannedTensor> shard = shards.computeIfAbsent(t.file(), k -> new ArrayList<>());
            if (role.role() == Role.OTHER && WriterHeuristics.looksLikeWriter(info.name())) {
                warnings.add("tensor '" + info.name() + "' looks like a residual-stream writer but no rule of the '"
                        + spec.name() + "' spec matches it; it is copied unedited (extend the spec with --arch-spec if it writes)");
            }
            if (!selected(role, options, tied)) {
                shard.add(new PlannedTensor(t.file(), info, info.name(), role, PlannedTensor.Action.COPY, null, null));
                continue;
            }
            ProjectionLayout layout = checkWriter(model, t, role, perLayerDirection);
            if (spec.postNormWriters() && (role.role() == Role.ATTN_OUT || role.role() == Role.MLP_OUT
                    || role.role() == Role.EXPERT_OUT)) {
                if (!options.allowApproximate()) {
                    throw new InvalidInputException(model.checkpoint(), info.name(), "architecture '" + spec.name()
                            + "' normalizes each block's output (post-attention / post-feedforward RMSNorm with its own"
                            + " weights) before adding it to the residual stream, so no edit of o_proj/down_proj removes r"
                            + " from what is added: the result would only approximate directional ablation. Pass"
                            + " --allow-approximate to edit anyway (it is recorded in the manifest), or --components embed.");
                }
                approximate = true;
            }
            int layer = role.layer() < 0 ? -1 : role.layer();
            List<double[]> q = recipe.basis().forLayer(layer);
            shard.add(new PlannedTensor(t.file(), info, info.name(), role, PlannedTensor.Action.EDIT, layout, q.getFirst(),
                    q, recipe.alphaFor(role.role(), info.name(), layer), recipe.basis().basisLayer(layer),
                    recipe.normPreservingFor(role.role())));
        }
        if (approximate) {
            warnings.add("approximate edit: '" + spec.name() + "' has post-norm writers; the edited model is not"
                    + " equivalent to directional ablation (--allow-approximate)");
        }
        if (untied) addUntiedHead(shards, embedding);
        if (tied && !untied) {
            warnings.add(options.tiedPolicy() == TiedPolicy.EDIT_BOTH && options.components().contains("embed")
                    ? "tied embeddings edited in place: the output head is edited too, which is not equivalent to ablation"
                    : "tied embeddings left unedited (" + options.tiedPolicy().cliName() + ")");
        }
        return new EditPlan(spec, shards, tied, untied, approximate, warnings);
    }

    /**
     * config.json's layer count must be what the tensors hold: a config saying 7 layers over a
     * checkpoint with 2 means one of them is not what the user thinks, and --layers, per-layer
     * directions and the manifest would all describe the wrong model.
     */
    private static void checkLayerCount(ModelFacts model, ArchSpec spec, List<SourceTensor> tensors) {
        if (model.numLayers() <= 0) return;
        int max = -1;
        for (SourceTensor t : tensors) max = Math.max(max, spec.classify(t.info().name()).layer());
        if (max >= 0 && max + 1 != model.numLayers()) {
            throw new InvalidInputException(model.checkpoint().resolve("config.json"), null, "num_hidden_layers is "
                    + model.numLayers() + " but the checkpoint's tensors cover layers 0.." + max
                    + "; the config does not describe these weights");
        }
    }

    private static boolean selected(TensorRole role, EditOptions options, boolean tied) {
        if (!role.writer() || !options.components().contains(role.role().component())) return false;
        if (role.role() == Role.EMBEDDING && tied && options.tiedPolicy() == TiedPolicy.SKIP_EMBEDDING) return false;
        return role.layer() < 0 || options.layers().includes(role.layer());
    }

    private static ProjectionLayout checkWriter(ModelFacts model, SourceTensor t, TensorRole role, boolean perLayer) {
        TensorInfo info = t.info();
        if (!info.dtype().editable()) {
            throw new InvalidInputException(model.checkpoint().resolve(t.file()), info.name(), "is a residual writer stored as "
                    + info.dtype() + "; only F16, BF16, F32 and F64 can be edited");
        }
        long[] shape = info.shapeArray();
        ProjectionLayout layout = role.layout().resolve(shape, model.hidden()).orElseThrow(() ->
                new InvalidInputException(model.checkpoint().resolve(t.file()), info.name(), "shape " + info.shape()
                        + " does not match the " + role.layout().jsonName() + " layout " + role.layout().expectation()
                        + " for hidden size " + model.hidden() + " (config.json)"));
        if (role.layer() >= model.numLayers() && perLayer) {
            throw new InvalidInputException(model.checkpoint().resolve(t.file()), info.name(), "belongs to layer "
                    + role.layer() + " but the per-layer direction has " + model.numLayers() + " layers");
        }
        return layout;
    }

    private static boolean resolveTied(ModelFacts model, SourceTensor embedding, SourceTensor head,
                                       Function<SourceTensor, MemorySegment> bytesOf, List<String> warnings) {
        boolean configTied = model.configTied().orElse(head == null);
        if (head == null) {
            if (model.configTied().isPresent() && !configTied && embedding != null) {
                throw new InvalidInputException(model.checkpoint(), null, "config.json says tie_word_embeddings=false"
                        + " but the checkpoint has no output head tensor");
            }
            return embedding != null;
        }
        if (configTied && embedding != null) {
            MemorySegment e = bytesOf.apply(embedding), h = bytesOf.apply(head);
            if (e.byteSize() != h.byteSize() || e.mismatch(h) != -1) {
                throw new InvalidInputException(model.checkpoint(), head.info().name(), "config.json says"
                        + " tie_word_embeddings=true but the checkpoint also stores a head that differs from '"
                        + embedding.info().name() + "': it is ambiguous which matrix the model uses");
            }
            warnings.add("config.json says the head is tied but '" + head.info().name() + "' is stored too (identical to"
                    + " the embedding); it is kept as an untied copy of the original");
        }
        return false;
    }

    /**
     * Adds the untied head to the shard holding the embedding. HF writers store tensors sorted by
     * name; when that shard is, the head goes to its sorted place, otherwise first.
     */
    private static void addUntiedHead(Map<String, List<PlannedTensor>> shards, SourceTensor embedding) {
        List<PlannedTensor> shard = shards.get(embedding.file());
        PlannedTensor head = new PlannedTensor(embedding.file(), embedding.info(), UNTIED_HEAD_NAME,
                new TensorRole(Role.LM_HEAD, -1, null, null), PlannedTensor.Action.UNTIED_HEAD, null, null);
        Comparator<PlannedTensor> byName = Comparator.comparing(PlannedTensor::outputName);
        boolean sorted = true;
        for (int i = 1; i < shard.size(); i++) {
            if (byName.compare(shard.get(i - 1), shard.get(i)) > 0) { sorted = false; break; }
        }
        int at = 0;
        if (sorted) while (at < shard.size() && shard.get(at).outputName().compareTo(UNTIED_HEAD_NAME) < 0) at++;
        shard.add(at, head);
    }
}
