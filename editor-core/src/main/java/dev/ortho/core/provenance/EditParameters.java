package dev.ortho.core.provenance;

import java.util.List;
import java.util.Map;

/**
 * Every parameter of the edit, as resolved (defaults filled in).
 *
 * @param normPreserving {@code --norm-preserving}
 * @param biproject      whether directions were projected off the harmless means ({@code --biproject})
 * @param layerKernels   the {@code --layer-kernel} spec by component (attn, mlp), or null
 * @param directionCount k, the number of directions removed (null in manifests older than edit variants: 1)
 */
public record EditParameters(String arch, double alpha, String layers, List<String> components,
                             String tiedEmbeddings, boolean tied, boolean untied, boolean allowApproximate,
                             boolean approximate, int threads, String arithmetic, String hash,
                             boolean normPreserving, boolean biproject, Map<String, LayerKernelRecord> layerKernels,
                             Integer directionCount) {}
