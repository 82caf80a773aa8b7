package dev.ortho.core.edit;

import java.lang.foreign.MemorySegment;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;

/** SHA-256 of mapped files, computed on a virtual thread while the edit streams the same pages. */
public final class Sha256Hex {

    private static final long SLICE = 4L << 20;

    private Sha256Hex() {}

    public static String of(byte[] digest) { return HexFormat.of().formatHex(digest); }

    public static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** Hashes a segment (from a shared arena) in the background; the future completes with hex. */
    public static CompletableFuture<String> async(MemorySegment whole) {
        CompletableFuture<String> result = new CompletableFuture<>();
        Thread.ofVirtual().name("ortho-sha256").start(() -> {
            try {
                result.complete(hash(whole));
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return result;
    }

    public static String hash(MemorySegment whole) {
        MessageDigest md = newDigest();
        for (long off = 0; off < whole.byteSize(); off += SLICE) {
            md.update(whole.asSlice(off, Math.min(SLICE, whole.byteSize() - off)).asByteBuffer());
        }
        return of(md.digest());
    }
}
