package dev.ortho.formats.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Which files a checkpoint directory may take its bytes from. A file belongs to the checkpoint when
 * its real path lies directly in the directory's real path, or, for a HuggingFace hub cache snapshot
 * ({@code models--ORG--NAME/snapshots/REV/}), in that repository's {@code blobs/} directory: the hub
 * stores every snapshot file as a symlink {@code ../../blobs/SHA}, and refusing those would refuse
 * every model downloaded with {@code huggingface_hub}. A symlink anywhere else is refused.
 */
final class LocalFiles {

    private LocalFiles() {}

    /** True if {@code real} (a resolved path) may be read as part of the checkpoint in {@code realDir}. */
    static boolean belongs(Path realDir, Path real) {
        Path parent = real.getParent();
        if (parent == null) return false;
        return parent.equals(realDir) || parent.equals(hubBlobs(realDir));
    }

    /** The blobs directory of the hub repository whose snapshot {@code realDir} is, or null. */
    static Path hubBlobs(Path realDir) {
        Path snapshots = realDir.getParent();
        if (snapshots == null || snapshots.getFileName() == null || !snapshots.getFileName().toString().equals("snapshots")) return null;
        Path repo = snapshots.getParent();
        if (repo == null || repo.getFileName() == null || !repo.getFileName().toString().startsWith("models--")) return null;
        Path blobs = repo.resolve("blobs");
        return Files.isDirectory(blobs) ? blobs : null;
    }

    /** The file's real path if it is a regular file that belongs to the checkpoint, else null. */
    static Path resolveMember(Path realDir, Path file) {
        try {
            Path real = file.toRealPath();
            return Files.isRegularFile(real) && belongs(realDir, real) ? real : null;
        } catch (IOException e) {
            return null;
        }
    }
}
