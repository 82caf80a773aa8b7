package dev.ortho.core.edit;

import dev.ortho.formats.FileDigests;

import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * SHA-256 as hex, of byte arrays, mappings and files (the latter read through windowed mappings,
 * see {@link FileDigests}).
 */
public final class Sha256Hex {

    private Sha256Hex() {}

    public static String of(byte[] digest) { return HexFormat.of().formatHex(digest); }

    public static MessageDigest newDigest() { return FileDigests.newSha256(); }

    public static String hash(MemorySegment whole) {
        MessageDigest md = newDigest();
        FileDigests.update(md, whole);
        return of(md.digest());
    }

    /** A whole file by path (direction, prompt and candidates files): the one way Ortho hashes a file it was given. */
    public static String ofFile(Path file) {
        try (FileChannel ch = FileChannel.open(file, java.nio.file.StandardOpenOption.READ)) {
            return hash(ch, file);
        } catch (java.io.IOException e) {
            throw new dev.ortho.formats.OrthoIoException(file, "cannot read the file to hash it", e);
        }
    }

    /** A whole file, read window by window from a mapping: resident memory stays at one window. */
    public static String hash(FileChannel file, Path path) {
        return of(FileDigests.sha256(file, path));
    }
}
