package dev.ortho.formats.safetensors;

import dev.ortho.formats.OrthoIoException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;

/**
 * A safetensors file, validated and memory-mapped read-only. The header is read and checked
 * through the channel first; only then is anything sized by the file allocated or mapped. The
 * mapping lives in a shared arena, so tensors can be read from several threads, and it is
 * unmapped by {@link #close()} (files over 2 GiB map as one segment).
 */
public final class SafetensorsFile implements AutoCloseable {

    private final Path path;
    private final FileChannel channel;
    private final Arena arena;
    private final MemorySegment segment;
    private final SafetensorsHeader header;

    private SafetensorsFile(Path path, FileChannel channel, Arena arena, MemorySegment segment, SafetensorsHeader header) {
        this.path = path;
        this.channel = channel;
        this.arena = arena;
        this.segment = segment;
        this.header = header;
    }

    public static SafetensorsFile open(Path path) {
        FileChannel ch = null;
        Arena arena = null;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ);
            long size = ch.size();
            SafetensorsHeader header = readHeader(path, ch, size);
            arena = Arena.ofShared();
            MemorySegment seg = size == 0 ? MemorySegment.NULL : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return new SafetensorsFile(path, ch, arena, seg, header);
        } catch (NoSuchFileException e) {
            closeQuietly(ch, arena);
            throw new SafetensorsFormatException(path, null, "file does not exist");
        } catch (IOException e) {
            closeQuietly(ch, arena);
            throw new OrthoIoException(path, "cannot read", e);
        } catch (RuntimeException e) {
            closeQuietly(ch, arena);
            throw e;
        }
    }

    /** Reads and validates the header without mapping the file. */
    static SafetensorsHeader readHeader(Path path, FileChannel ch, long size) throws IOException {
        if (size < 8) {
            throw new SafetensorsFormatException(path, null, "file is " + size + " bytes: too short for the 8-byte header length (truncated?)");
        }
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, len, 0);
        long n = len.flip().getLong();
        // n is unsigned on disk; a negative long is a length of 2^63 or more.
        if (n < 0 || n > SafetensorsHeader.MAX_HEADER_BYTES) {
            throw new SafetensorsFormatException(path, null, "header length " + Long.toUnsignedString(n)
                    + " exceeds the limit of " + SafetensorsHeader.MAX_HEADER_BYTES + " bytes (100 MiB)");
        }
        if (n > size - 8) {
            throw new SafetensorsFormatException(path, null, "header length " + n + " runs past the end of the file ("
                    + size + " bytes): truncated or not a safetensors file");
        }
        if (n < 2) throw new SafetensorsFormatException(path, null, "header length " + n + " is too short for a JSON object");
        ByteBuffer json = ByteBuffer.allocate((int) n);
        readFully(ch, json, 8);
        return SafetensorsHeader.parse(path, json.array(), size - 8 - n);
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos);
            if (r < 0) throw new IOException("unexpected end of file");
            pos += r;
        }
    }

    public Path path() { return path; }

    public SafetensorsHeader header() { return header; }

    public List<TensorInfo> tensors() { return header.tensors(); }

    public Optional<TensorInfo> find(String name) { return header.find(name); }

    public TensorInfo tensor(String name) {
        return find(name).orElseThrow(() -> new SafetensorsFormatException(path, name, "no such tensor in this file"));
    }

    /** The tensor's bytes: a read-only slice of the mapping. */
    public MemorySegment data(TensorInfo t) {
        return segment.asSlice(header.dataStart() + t.begin(), t.byteLength());
    }

    /**
     * Maps just one tensor, in {@code arena}: closing the arena unmaps it, which returns its pages
     * to the kernel. Streaming editors use this so that resident memory stays bounded by one
     * tensor, where touching the whole-file mapping would keep every page counted.
     */
    public MemorySegment mapTensor(TensorInfo t, Arena arena) {
        if (t.byteLength() == 0) return MemorySegment.NULL;
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, header.dataStart() + t.begin(), t.byteLength(), arena);
        } catch (IOException e) {
            throw new OrthoIoException(path, "cannot map tensor " + t.name(), e);
        }
    }

    /** Reads {@code length} bytes at file offset {@code position} into {@code dst} (a copy, no mapping). */
    public void read(long position, MemorySegment dst, long length) {
        java.nio.ByteBuffer buf = dst.asSlice(0, length).asByteBuffer();
        try {
            readFully(channel, buf, position);
        } catch (IOException e) {
            throw new OrthoIoException(path, "read failed", e);
        }
    }

    /** The whole file, mapped. */
    public MemorySegment segment() { return segment; }

    public long size() { return segment.byteSize(); }

    /** The open read channel (for {@code transferTo}). */
    public FileChannel channel() { return channel; }

    @Override
    public void close() {
        closeQuietly(channel, arena);
    }

    private static void closeQuietly(FileChannel ch, Arena arena) {
        try {
            if (arena != null) arena.close();
        } catch (IllegalStateException ignored) {
            // already closed
        }
        try {
            if (ch != null) ch.close();
        } catch (IOException ignored) {
            // nothing useful to do for a read-only channel
        }
    }
}
