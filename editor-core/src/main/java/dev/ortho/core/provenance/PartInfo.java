package dev.ortho.core.provenance;

import java.util.List;
import java.util.Map;

/**
 * What a {@code --shard-group} worker records so that {@code ortho assemble} can check the parts
 * fit together and write the index, without access to the input checkpoint.
 *
 * @param index          this worker's group (0-based)
 * @param count          number of groups
 * @param assignment     every shard of the checkpoint → its group (the same in every part)
 * @param shardTensors   for each shard of THIS part, its output tensor names in order
 * @param sharded        whether the input had an index
 * @param indexMetadata  the output index's metadata (total_size is recomputed by assemble)
 * @param sourceIndexSha SHA-256 of the input's index file (or single weight file), to tie parts to one input
 */
public record PartInfo(int index, int count, Map<String, Integer> assignment, Map<String, List<String>> shardTensors,
                       boolean sharded, Map<String, Object> indexMetadata, String sourceIndexSha) {}
