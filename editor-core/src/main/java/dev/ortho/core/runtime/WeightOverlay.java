package dev.ortho.core.runtime;

import ai.onnxruntime.OnnxTensor;
import dev.ortho.core.edit.EditRecipe;
import dev.ortho.core.edit.EditedWeights;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The graph inputs of a weight-level intervention: for every writer the recipe edits, ONNX tensors
 * over the edited stored-dtype bytes ({@link EditedWeights}, the bytes {@code ortho ablate} writes),
 * under the original weights' graph names. Fed in place of the originals, so no new graph is built.
 */
final class WeightOverlay implements AutoCloseable {

    private final EditRecipe recipe;
    private final EditedWeights edited;
    private final Arena arena;
    private final Map<String, OnnxTensor> tensors;

    private WeightOverlay(EditRecipe recipe, EditedWeights edited, Arena arena, Map<String, OnnxTensor> tensors) {
        this.recipe = recipe;
        this.edited = edited;
        this.arena = arena;
        this.tensors = Collections.unmodifiableMap(tensors);
    }

    static WeightOverlay create(WeightStore store, Path modelDir, dev.ortho.core.arch.ArchChoice arch, EditRecipe recipe, int threads) {
        EditedWeights edited;
        try {
            edited = EditedWeights.compute(modelDir, arch.name(), arch.specFile(), recipe, threads);
        } catch (dev.ortho.formats.InvalidInputException e) {
            throw RuntimeFailure.badRequest(e.getMessage());
        }
        Arena arena = Arena.ofShared();
        Map<String, OnnxTensor> tensors = new LinkedHashMap<>();
        try {
            for (EditedWeights.Tensor t : edited.tensors().values()) {
                // Only weights the graph reads are fed; an edited tensor the graph never declared is unused.
                if (!store.declared(t.name())) continue;
                tensors.putAll(store.replacement(t.name(), t.dtype(), t.shape(), t.bytes(), arena));
            }
        } catch (RuntimeException e) {
            tensors.values().forEach(OnnxTensor::close);
            arena.close();
            edited.close();
            throw e;
        }
        return new WeightOverlay(recipe, edited, arena, tensors);
    }

    EditRecipe recipe() { return recipe; }

    int tensorCount() { return edited.tensors().size(); }

    /** Replacement graph inputs by chunk name. */
    Map<String, OnnxTensor> tensors() { return tensors; }

    @Override
    public void close() {
        tensors.values().forEach(OnnxTensor::close);
        arena.close();
        edited.close();
    }
}
