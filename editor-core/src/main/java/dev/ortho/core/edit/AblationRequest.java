package dev.ortho.core.edit;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * One {@code ortho ablate}.
 *
 * @param model         input checkpoint directory (or a single .safetensors file)
 * @param directions    the direction(s), index and biprojection
 * @param out           output directory; must not exist unless {@code force}
 * @param force         replace an existing output directory
 * @param options       edit parameters
 * @param arch          {@code --arch} override of detection
 * @param archSpecFile  {@code --arch-spec} user spec
 * @param commandLine   for the manifest
 * @param shardGroup    edit only this group's shards, as one part of a scaled-out run ({@code out}
 *                      is then the shared location the part directory goes into)
 */
public record AblationRequest(Path model, DirectionRequest directions, Path out, boolean force, EditOptions options,
                              Optional<String> arch, Optional<Path> archSpecFile, List<String> commandLine,
                              Optional<ShardGroup> shardGroup) {

    /** One plain direction {@code FILE[:TENSOR]}. */
    public AblationRequest(Path model, String direction, Path out, boolean force, EditOptions options,
                           Optional<String> arch, Optional<Path> archSpecFile, List<String> commandLine,
                           Optional<ShardGroup> shardGroup) {
        this(model, DirectionRequest.of(direction), out, force, options, arch, archSpecFile, commandLine, shardGroup);
    }

    public AblationRequest(Path model, String direction, Path out, boolean force, EditOptions options,
                           Optional<String> arch, Optional<Path> archSpecFile, List<String> commandLine) {
        this(model, direction, out, force, options, arch, archSpecFile, commandLine, Optional.empty());
    }
}
