package dev.ortho.core.provenance;

import java.util.List;

/** Every parameter of the edit, as resolved (defaults filled in). */
public record EditParameters(String arch, double alpha, String layers, List<String> components,
                             String tiedEmbeddings, boolean tied, boolean untied, boolean allowApproximate,
                             boolean approximate, int threads, String arithmetic, String hash) {}
