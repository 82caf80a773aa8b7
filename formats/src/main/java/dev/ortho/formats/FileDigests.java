package dev.ortho.formats;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * SHA-256 of file ranges read from a read-only mapping, one window at a time: the bytes are never
 * copied into a buffer of this process, and each window is unmapped before the next, so resident
 * memory stays at one window however large the file (a whole-file mapping would keep every touched
 * page counted in the process's resident set).
 */
public final class FileDigests {

    /** Mapping window: large enough that mmap/munmap cost nothing next to hashing it. */
    static final long WINDOW = 32L << 20;

    /** Largest slice handed to the digest at once (a ByteBuffer view is int-sized). */
    private static final long SLICE = 4L << 20;

    private FileDigests() {}

    public static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** Feeds [position, position + length) of {@code file} (named {@code path} in errors) to {@code md}. */
    public static void update(MessageDigest md, FileChannel file, Path path, long position, long length) {
        for (long done = 0; done < length; ) {
            long n = Math.min(WINDOW, length - done);
            try (Arena window = Arena.ofConfined()) {
                MemorySegment seg = file.map(FileChannel.MapMode.READ_ONLY, position + done, n, window);
                update(md, seg);
            } catch (IOException e) {
                throw new OrthoIoException(path, "cannot map " + n + " bytes at offset " + (position + done) + " for hashing", e);
            }
            done += n;
        }
    }

    /** Feeds a segment (e.g. a mapping) to {@code md} in int-sized slices. */
    public static void update(MessageDigest md, MemorySegment bytes) {
        for (long off = 0; off < bytes.byteSize(); off += SLICE) {
            md.update(bytes.asSlice(off, Math.min(SLICE, bytes.byteSize() - off)).asByteBuffer());
        }
    }

    /** SHA-256 of a whole file. */
    public static byte[] sha256(FileChannel file, Path path) {
        MessageDigest md = newSha256();
        try {
            update(md, file, path, 0, file.size());
        } catch (IOException e) {
            throw new OrthoIoException(path, "cannot read the size of a file to hash", e);
        }
        return md.digest();
    }
}
