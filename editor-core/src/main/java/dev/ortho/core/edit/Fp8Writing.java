package dev.ortho.core.edit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ortho.core.edit.quant.Fp8BlockEdit;
import dev.ortho.core.edit.quant.Parallel;
import dev.ortho.core.edit.vectorization.VectorOps;
import dev.ortho.core.provenance.EditedTensor;
import dev.ortho.core.provenance.QuantizedEdit;
import dev.ortho.formats.PythonJson;
import dev.ortho.formats.checkpoint.StrictJson;
import dev.ortho.formats.checkpoint.TensorRef;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes block-FP8 writers during an edit: each weight is edited once (by {@link Fp8BlockEdit}) when
 * the first of the pair weight / weight_scale_inv comes up in the output, which may be in another
 * shard than the other; its new weight bytes are freed once written, its scales (1/16384 of the
 * weight for 128×128 blocks) kept until their turn.
 */
final class Fp8Writing implements AutoCloseable {

    /** Below this share of the asked-for change surviving requantization, the manifest warns. */
    static final double SURVIVAL_WARNING = 0.5;

    private final LoadedModel model;
    private final VectorOps ops;
    private final Parallel parallel;
    /** Edited FP8 weights of the whole plan, by name. */
    private final Map<String, PlannedTensor> weights = new HashMap<>();
    /** Edits done, by weight name: the weight bytes until written, the scales until written, the statistics. */
    private final Map<String, Pending> pending = new HashMap<>();
    private final Arena scales = Arena.ofShared();

    private static final class Pending {
        Arena weightArena;
        MemorySegment weight;
        MemorySegment scale;
        Fp8BlockEdit.Result result;
    }

    /** @param plan the whole plan (a scale met first, maybe in another shard or part, finds its weight there) */
    Fp8Writing(LoadedModel model, VectorOps ops, EditPlan plan, int threads) {
        this.parallel = plan.edits().stream().anyMatch(t -> t.fp8() != null) ? new Parallel(threads) : Parallel.SEQUENTIAL;
        this.model = model;
        this.ops = ops;
        for (PlannedTensor t : plan.all()) if (t.edited() && t.fp8() != null) weights.put(t.fp8().weight(), t);
    }

    /** The edited weight's output bytes (valid until {@link #weightWritten}). */
    MemorySegment weight(PlannedTensor t) {
        Pending p = compute(t);
        MemorySegment w = p.weight;
        p.weight = null;
        return w;
    }

    /** The recomputed scale_inv bytes of an edited weight. */
    MemorySegment scale(PlannedTensor t) {
        return compute(weights.get(t.fp8().weight())).scale;
    }

    EditedTensor editedTensor(PlannedTensor t, String file) {
        Pending p = pending.get(t.fp8().weight());
        var s = p.result.stats();
        var scheme = t.fp8().scheme();
        double err = s.deltaNorm() == 0 ? 0 : s.errorNorm() / s.deltaNorm();
        QuantizedEdit q = new QuantizedEdit(QuantizedEdit.FORMAT_FP8_BLOCK, scheme.format().configName(),
                List.of(scheme.blockRows(), scheme.blockCols()), t.fp8().output().manifestName(), t.fp8().scale(),
                s.deltaNorm(), s.storedDeltaNorm(), s.survivedFraction(), err, s.componentBefore(), s.componentAfter());
        return new EditedTensor(t.outputName(), file, t.role().role().name(), t.role().layer(), t.outputDtype().name(),
                t.source().shape(), t.layout().name(), s.frobeniusBefore(), s.frobeniusAfter(), s.maxLeftover(), t.alpha(),
                t.basisLayer(), q);
    }

    private Pending compute(PlannedTensor w) {
        Pending p = pending.get(w.fp8().weight());
        if (p != null) return p;
        TensorRef weight = model.checkpoint().tensor(w.fp8().weight());
        TensorRef scale = model.checkpoint().tensor(w.fp8().scale());
        p = new Pending();
        p.weightArena = Arena.ofShared();
        p.result = Fp8BlockEdit.edit(weight.data(), scale.data(), scale.info().dtype(), weight.info().shapeArray(),
                w.fp8().scheme(), w.layout(), w.direction(), w.alpha(), w.fp8().output(), ops, p.weightArena, parallel);
        p.weight = p.result.weight();
        if (p.result.scale() != null) {
            p.scale = scales.allocate(p.result.scale().byteSize(), 8);
            p.scale.copyFrom(p.result.scale());
        }
        pending.put(w.fp8().weight(), p);
        return p;
    }

    /** Frees the weight bytes of the tensor just written (its scales stay until their turn). */
    void weightWritten(PlannedTensor t) {
        Pending p = pending.get(t.fp8().weight());
        if (p != null && p.weightArena != null) {
            p.weightArena.close();
            p.weightArena = null;
        }
    }

    /** A warning for the manifest when requantization kept less than half of a tensor's edit, else null. */
    static String survivalWarning(EditedTensor e) {
        QuantizedEdit q = e.quantized();
        if (q == null || !q.output().equals(Fp8BlockEdit.Output.REQUANTIZE.manifestName())) return null;
        if (!(q.survivedFraction() < SURVIVAL_WARNING)) return null;
        return String.format("tensor '%s': only %.0f%% of the edit survived requantization to FP8 (%s blocks %s): the"
                        + " change is below the block's grid spacing; the stored weights keep %.0f%% of their component along r."
                        + " Use --dequantize-edited to store the edited tensors exactly (BF16)",
                e.name(), 100 * q.survivedFraction(), q.fmt(), q.blockSize(),
                q.componentBefore() == 0 ? 0 : 100 * q.componentAfter() / q.componentBefore());
    }

    /**
     * config.json for an output whose edited FP8 weights are stored as BF16: their modules are
     * listed in {@code quantization_config.modules_to_not_convert} (read by transformers'
     * FineGrainedFP8 quantizer, which then builds a plain nn.Linear for them) and {@code
     * ignored_layers} (vLLM's FP8 config), so loaders do not look for their scales.
     */
    static byte[] configForDequantized(byte[] config, EditPlan plan) {
        Set<String> modules = new LinkedHashSet<>();
        for (PlannedTensor t : plan.edits()) {
            if (t.fp8() != null && t.fp8().output() == Fp8BlockEdit.Output.DEQUANTIZE_BF16) {
                String n = t.outputName();
                modules.add(n.endsWith(".weight") ? n.substring(0, n.length() - ".weight".length()) : n);
            }
        }
        if (modules.isEmpty()) return config;
        JsonNode root = StrictJson.parse(null, "config.json", config);
        ObjectNode qc = (ObjectNode) root.get("quantization_config");
        for (String key : List.of("modules_to_not_convert", "ignored_layers")) {
            Set<String> all = new LinkedHashSet<>();
            JsonNode old = qc.get(key);
            if (old != null && old.isArray()) old.forEach(n -> all.add(n.asText()));
            all.addAll(modules);
            ArrayNode arr = qc.putArray(key);
            all.forEach(arr::add);
        }
        return PythonJson.dumps(root).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        for (Pending p : pending.values()) if (p.weightArena != null) p.weightArena.close();
        scales.close();
        parallel.close();
    }
}
