package dev.ortho.core.edit;

import dev.ortho.core.arch.ArchSpec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The complete, validated description of an edit, computed before any byte is written.
 *
 * @param spec        the architecture spec used
 * @param shards      output shard file names mapped to their tensors, in output order
 * @param tied        whether the input's head shares the embedding
 * @param untied      whether the output gets an explicit head (tied + untie policy)
 * @param approximate whether post-norm writers were edited (not equivalent to ablation)
 * @param warnings    things a user should know; also written to the manifest
 */
public record EditPlan(ArchSpec spec, Map<String, List<PlannedTensor>> shards, boolean tied, boolean untied,
                       boolean approximate, List<String> warnings) {

    public EditPlan {
        shards = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(shards));
        warnings = List.copyOf(warnings);
    }

    public List<PlannedTensor> all() {
        return shards.values().stream().flatMap(List::stream).toList();
    }

    public List<PlannedTensor> edits() {
        return all().stream().filter(PlannedTensor::edited).toList();
    }

    public long totalBytes() {
        return all().stream().mapToLong(t -> t.source().byteLength()).sum();
    }
}
