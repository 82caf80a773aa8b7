package dev.ortho.core.edit;

import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.safetensors.DType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The writer tensors of an {@link EditRecipe}, edited in memory in their stored dtype: the bytes
 * {@code ortho ablate} would write for them (same planner, same kernel call), without writing a
 * checkpoint. The runtime feeds them in place of the originals (a weight-level intervention, needed
 * for norm preservation, which no activation hook reproduces). Off-heap; freed by {@link #close()}.
 */
public final class EditedWeights implements AutoCloseable {

    /** One edited tensor: its stored dtype and shape, and the edited bytes (little-endian). */
    public record Tensor(String name, DType dtype, long[] shape, MemorySegment bytes) {}

    private final Arena arena;
    private final Map<String, Tensor> tensors;

    private EditedWeights(Arena arena, Map<String, Tensor> tensors) {
        this.arena = arena;
        this.tensors = Collections.unmodifiableMap(tensors);
    }

    /**
     * Plans and computes the edit of {@code recipe} on the checkpoint at {@code model} (architecture
     * detected as {@code ortho ablate} does). Tied embeddings are refused when the embeddings are edited:
     * the runtime reads its head from the same tensor, so the head would be edited too, which
     * {@code ortho ablate} (untie) does not do.
     */
    public static EditedWeights compute(Path model, EditRecipe recipe, int threads) {
        return compute(model, Optional.empty(), Optional.empty(), recipe, threads);
    }

    /** As {@link #compute(Path, EditRecipe, int)} with {@code --arch} / {@code --arch-spec}. */
    public static EditedWeights compute(Path model, Optional<String> arch, Optional<Path> archSpecFile, EditRecipe recipe, int threads) {
        Arena arena = Arena.ofShared();
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (LoadedModel m = LoadedModel.open(model, arch, archSpecFile);
             ProjectionKernel kernel = new ProjectionKernel(threads)) {
            EditOptions options = new EditOptions(recipe.alpha(), recipe.layers(), recipe.components(), TiedPolicy.UNTIE,
                    false, threads, false, recipe.normPreserving(), recipe.kernels());
            EditPlan plan = EditPlanner.plan(m.spec(), m.facts(), m.sourceTensors(), t -> m.shard(t.file()).data(t.info()),
                    recipe, options);
            if (plan.untied()) {
                throw new InvalidInputException(model, null, "the embeddings are tied to the output head; a weight-level"
                        + " intervention would edit the head too. Leave 'embed' out of the components, or write the"
                        + " checkpoint with ortho ablate (which unties the head)");
            }
            for (PlannedTensor t : plan.edits()) {
                MemorySegment src = m.shard(t.file()).data(t.source());
                MemorySegment dst = arena.allocate(t.source().byteLength(), 64);
                long[] at = {0};
                CheckpointEditor.project(kernel, src, t, chunk -> {
                    MemorySegment.copy(chunk, 0, dst, at[0], chunk.byteSize());
                    at[0] += chunk.byteSize();
                });
                out.put(t.outputName(), new Tensor(t.outputName(), t.source().dtype(), t.source().shapeArray(), dst));
            }
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
        return new EditedWeights(arena, out);
    }

    /** Edited tensors by checkpoint name. */
    public Map<String, Tensor> tensors() { return tensors; }

    @Override
    public void close() { arena.close(); }
}
