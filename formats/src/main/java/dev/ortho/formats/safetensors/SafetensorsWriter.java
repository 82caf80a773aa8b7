package dev.ortho.formats.safetensors;

import dev.ortho.formats.FileDigests;
import dev.ortho.formats.OrthoIoException;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Map;

/**
 * Writes one safetensors file front to back. The header is known up front (every tensor's type
 * and shape), so it is written first and the data streams after it in one sequential pass; the
 * writer refuses more or fewer bytes than the layout declares, and hashes everything it writes.
 */
public final class SafetensorsWriter implements AutoCloseable {

    /** Largest single write: keeps ByteBuffer views of big mapped segments within int range. */
    private static final long MAX_WRITE = 64L << 20;

    private final Path path;
    private final FileChannel channel;
    private final MessageDigest sha;
    private final List<TensorLayout> tensors;
    private final long dataLength;
    private final WritebackHint writeback;
    private byte[] header;
    private long fileOffset;
    private long kickedUpTo;
    private long written;
    private byte[] digest;

    private SafetensorsWriter(Path path, FileChannel channel, List<TensorLayout> tensors, long dataLength, boolean hash) {
        this.path = path;
        this.channel = channel;
        this.tensors = List.copyOf(tensors);
        this.dataLength = dataLength;
        this.writeback = WritebackHint.open(path);
        try {
            this.sha = hash ? MessageDigest.getInstance("SHA-256") : null;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Creates {@code file} (which must not exist) and writes its header; hashes what it writes. */
    public static SafetensorsWriter create(Path file, Map<String, String> metadata, List<TensorLayout> tensors) {
        return create(file, metadata, tensors, true);
    }

    /**
     * Creates {@code file} and writes its header.
     *
     * @param hash compute the SHA-256 of everything written ({@link #sha256()}); off only when a user
     *             asked for speed over a verifiable manifest
     */
    public static SafetensorsWriter create(Path file, Map<String, String> metadata, List<TensorLayout> tensors, boolean hash) {
        byte[] header = headerBytes(metadata, tensors);
        long data = 0;
        for (TensorLayout t : tensors) data = Math.addExact(data, t.byteLength());
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new OrthoIoException(file, "cannot create", e);
        }
        SafetensorsWriter w = new SafetensorsWriter(file, ch, tensors, data, hash);
        w.header = header;
        w.writeRaw(ByteBuffer.wrap(header));
        return w;
    }

    /** The bytes that precede the data: length prefix, header JSON, padding. */
    public static byte[] headerBytes(Map<String, String> metadata, List<TensorLayout> tensors) {
        return HeaderJson.encode(metadata, tensors);
    }

    public Path path() { return path; }

    /** The bytes written before the data (length prefix, header JSON, padding). */
    public byte[] writtenHeader() { return header.clone(); }

    public List<TensorLayout> tensors() { return tensors; }

    /** Appends data bytes (of the current tensor, or spanning several, in layout order). */
    public void write(MemorySegment bytes) {
        long size = bytes.byteSize();
        requireRoom(size);
        for (long off = 0; off < size; off += MAX_WRITE) {
            MemorySegment part = bytes.asSlice(off, Math.min(MAX_WRITE, size - off));
            writeRaw(part.asByteBuffer());
        }
        written += size;
    }

    public void write(ByteBuffer bytes) {
        requireRoom(bytes.remaining());
        long n = bytes.remaining();
        writeRaw(bytes);
        written += n;
    }

    /**
     * Appends {@code length} bytes of {@code source} starting at {@code position}, copied by the
     * operating system ({@code FileChannel.transferTo}: {@code copy_file_range} on Linux, a reflink
     * where the file system shares extents): the bytes never pass through this process. When this
     * writer hashes, it hashes the source range from a read-only mapping, window by window, so that
     * no copy is made for the hash either and resident memory stays bounded.
     */
    public void transfer(FileChannel source, long position, long length) {
        requireRoom(length);
        if (sha != null) FileDigests.update(sha, source, path, position, length);
        try {
            for (long done = 0; done < length; ) {
                long n = source.transferTo(position + done, length - done, channel);
                if (n <= 0) {
                    // transferTo returns 0 at end of file: the source is shorter than its header says
                    throw new OrthoIoException(path, "the source ended " + (length - done) + " bytes early while copying", null);
                }
                done += n;
                fileOffset += n;
                kickWriteback();
            }
        } catch (IOException e) {
            throw new OrthoIoException(path, "copy failed", e);
        }
        written += length;
    }

    private void requireRoom(long size) {
        if (written + size > dataLength) {
            throw new IllegalStateException(path + ": writing " + size + " bytes at data offset " + written
                    + " exceeds the declared data length " + dataLength);
        }
    }

    /** Writeback is started every 64 MiB, so the disk works while later bytes are computed. */
    private static final long WRITEBACK_STEP = 64L << 20;

    private void writeRaw(ByteBuffer buf) {
        if (sha != null) sha.update(buf.duplicate());
        try {
            while (buf.hasRemaining()) fileOffset += channel.write(buf);
        } catch (IOException e) {
            throw new OrthoIoException(path, "write failed", e);
        }
        kickWriteback();
    }

    private void kickWriteback() {
        if (fileOffset - kickedUpTo >= WRITEBACK_STEP) {
            writeback.start(kickedUpTo, fileOffset - kickedUpTo);
            kickedUpTo = fileOffset;
        }
    }

    /** Bytes of data written so far. */
    public long dataWritten() { return written; }

    /** Checks every declared byte was written and forces the file to disk, once. */
    public void finish() {
        finish(true);
    }

    /**
     * Checks every declared byte was written; forces the file to disk when {@code sync}. A caller
     * that fsyncs every file before publishing them (CheckpointWriter's commit does) passes false,
     * so that the next file's work overlaps this one's writeback instead of waiting for it.
     */
    public void finish(boolean sync) {
        if (written != dataLength) {
            throw new IllegalStateException(path + ": " + written + " of " + dataLength + " data bytes written");
        }
        if (sync) {
            try {
                channel.force(true);
            } catch (IOException e) {
                throw new OrthoIoException(path, "fsync failed", e);
            }
        }
        digest = sha != null ? sha.digest() : null;
    }

    /** SHA-256 of the whole file after {@link #finish()}; null when hashing was turned off. */
    public byte[] sha256() {
        return digest == null ? null : digest.clone();
    }

    @Override
    public void close() {
        writeback.close();
        try {
            channel.close();
        } catch (IOException e) {
            throw new OrthoIoException(path, "close failed", e);
        }
    }
}
