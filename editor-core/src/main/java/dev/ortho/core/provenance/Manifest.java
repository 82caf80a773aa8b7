package dev.ortho.core.provenance;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;

/**
 * {@code ortho-manifest.json}: what produced an output directory, from what, and how. Written by
 * every command that writes a checkpoint; read back by {@code ortho verify}. A {@code --shard-group}
 * worker writes one with {@code part} set; {@code ortho assemble} merges those into a whole one.
 */
public record Manifest(String format, ToolInfo tool, String createdUtc, List<String> commandLine, String operation,
                       List<FileDigest> inputs, DirectionRecord direction, EditParameters parameters,
                       List<EditedTensor> edits, List<FileDigest> outputs, List<String> warnings,
                       @JsonInclude(JsonInclude.Include.NON_NULL) PartInfo part) {

    public static final String FORMAT = "ortho-manifest/1";
    public static final String FILE_NAME = "ortho-manifest.json";
}
