package dev.ortho.core.provenance;

import java.util.List;

/**
 * {@code ortho-manifest.json}: what produced an output directory, from what, and how. Written by
 * every command that writes a checkpoint; read back by {@code ortho verify}.
 */
public record Manifest(String format, ToolInfo tool, String createdUtc, List<String> commandLine, String operation,
                       List<FileDigest> inputs, DirectionRecord direction, EditParameters parameters,
                       List<EditedTensor> edits, List<FileDigest> outputs, List<String> warnings) {

    public static final String FORMAT = "ortho-manifest/1";
    public static final String FILE_NAME = "ortho-manifest.json";
}
