package dev.ortho.core.edit;

import dev.ortho.formats.FileDigests;
import dev.ortho.formats.OrthoException;
import dev.ortho.formats.safetensors.SafetensorsFile;
import dev.ortho.formats.safetensors.SafetensorsWriter;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.security.MessageDigest;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Moves one shard's data into its output in file order. Untouched byte ranges are copied by the
 * operating system ({@link SafetensorsWriter#transfer}: they never enter this process); bytes the
 * kernel produces go through a fixed pool of off-heap buffers. A writer thread performs both in
 * order while the calling thread computes the next edited tensor, and an optional hasher thread
 * computes the output's SHA-256 from the same sequence: the written header, copied ranges read
 * from a mapping of the input (the same bytes the copy wrote), and the kernel's buffers. Memory is
 * the pool and one mapping window, whatever the shard's size.
 *
 * <p>Work goes to the writer and the hasher through FIFO queues, so each sees its bytes in order; a
 * buffer returns to the pool once every stage that needed it is done with it.
 */
final class ShardPipeline implements AutoCloseable {

    static final int BUFFERS = 8;
    static final long BUFFER_BYTES = 8L << 20;

    /** One step of the output, in file order. */
    private sealed interface Step permits Chunk, Transfer, End {}

    /** Bytes in a pool buffer; {@code pending} counts the stages still to use it. */
    private record Chunk(MemorySegment buffer, long length, AtomicInteger pending) implements Step {}

    /** A range of the input file copied unchanged. */
    private record Transfer(long position, long length) implements Step {}

    private record End() implements Step {}

    private static final End END = new End();

    private final Arena arena = Arena.ofShared();
    private final BlockingQueue<MemorySegment> free = new ArrayBlockingQueue<>(BUFFERS);
    private final BlockingQueue<Step> toWriter = new ArrayBlockingQueue<>(BUFFERS + 64);
    private final BlockingQueue<Step> toHasher;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final SafetensorsFile in;
    private final SafetensorsWriter out;
    /** The output's running digest: owned by the hasher thread once started, read by {@link #finish()} after it ends. */
    private MessageDigest outputDigest;
    /** Where the output digest starts from when the output's header is the input's; null: from the output's first byte. */
    private final SharedPrefix prefix;
    /** Output offset of the next step the hasher sees. */
    private long hashedTo;
    private final Thread writer;
    private final Thread hasher;
    private boolean finished;

    /**
     * @param in         the shard being edited (copied ranges come from it)
     * @param out        the output, header already written; it should not hash (this pipeline does)
     * @param hashOutput compute the output file's SHA-256 ({@link #finish()} returns null otherwise)
     */
    ShardPipeline(SafetensorsFile in, SafetensorsWriter out, boolean hashOutput) {
        this(in, out, hashOutput, null);
    }

    /**
     * @param prefix when not null and the output's header is the input's, the output digest starts from the input
     *               hasher's state after the prefix, and the copied bytes inside it are not hashed again
     */
    ShardPipeline(SafetensorsFile in, SafetensorsWriter out, boolean hashOutput, SharedPrefix prefix) {
        this.in = in;
        this.out = out;
        byte[] header = out.writtenHeader();
        this.prefix = hashOutput && prefix != null && prefix.length() > header.length && UnchangedShard.sameHeader(in, header) ? prefix : null;
        if (this.prefix != null) PREFIX_BYTES_REUSED.addAndGet(this.prefix.length());
        this.hashedTo = header.length;
        for (int i = 0; i < BUFFERS; i++) free.add(arena.allocate(BUFFER_BYTES, 4096));
        writer = Thread.ofPlatform().name("ortho-writer").daemon().start(() -> drain(toWriter, true));
        if (hashOutput) {
            if (this.prefix == null) {
                outputDigest = FileDigests.newSha256();
                outputDigest.update(header);
            } // else taken from the input hasher at the hasher's first step
            toHasher = new ArrayBlockingQueue<>(BUFFERS + 64);
            hasher = Thread.ofPlatform().name("ortho-output-sha256").daemon().start(() -> drain(toHasher, false));
        } else {
            outputDigest = null;
            toHasher = null;
            hasher = null;
        }
    }

    /** Copies [position, position + length) of the input file to the output unchanged. */
    void copy(long position, long length) {
        rethrow();
        if (length == 0) return;
        Transfer t = new Transfer(position, length);
        put(toWriter, t);
        if (toHasher != null) put(toHasher, t);
    }

    /** Sends bytes produced by the kernel (valid only during the call) to the writer. */
    void emit(MemorySegment bytes) {
        for (long done = 0; done < bytes.byteSize(); ) {
            long n = Math.min(BUFFER_BYTES, bytes.byteSize() - done);
            MemorySegment buf = take();
            MemorySegment.copy(bytes, done, buf, 0, n);
            Chunk c = new Chunk(buf, n, new AtomicInteger(toHasher != null ? 2 : 1));
            put(toWriter, c);
            if (toHasher != null) put(toHasher, c);
            done += n;
        }
    }

    /** Waits for the writer and hasher to finish; returns the output's SHA-256 (hex), or null when not hashing. */
    String finish() {
        finished = true;
        put(toWriter, END);
        if (toHasher != null) put(toHasher, END);
        join(writer);
        if (hasher != null) join(hasher);
        rethrow();
        if (toHasher == null) return null;
        if (outputDigest == null) outputDigest = FileHashers.join(prefix.state()); // nothing past the prefix
        return Sha256Hex.of(outputDigest.digest());
    }

    private void drain(BlockingQueue<Step> queue, boolean isWriter) {
        try {
            while (true) {
                Step s = queue.take();
                if (s == END) return;
                if (failure.get() == null) {
                    try {
                        if (isWriter) write(s);
                        else hash(s);
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                }
                if (s instanceof Chunk c && c.pending().decrementAndGet() == 0) free.add(c.buffer());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void write(Step s) {
        switch (s) {
            case Chunk c -> out.write(c.buffer().asSlice(0, c.length()));
            case Transfer t -> out.transfer(in.channel(), t.position(), t.length());
            case End e -> { }
        }
    }

    private void hash(Step s) {
        // The first step with a shared prefix: take over the input hasher's state at its end.
        if (outputDigest == null) outputDigest = FileHashers.join(prefix.state());
        // Output bytes [0, skip) are in the digest already (the shared prefix).
        long skip = prefix == null ? 0 : prefix.length();
        switch (s) {
            case Chunk c -> {
                long from = Math.max(0, skip - hashedTo);
                if (from < c.length()) FileDigests.update(outputDigest, c.buffer().asSlice(from, c.length() - from));
                hashedTo += c.length();
            }
            case Transfer t -> {
                long from = Math.max(0, Math.min(t.length(), skip - hashedTo));
                if (from < t.length()) FileDigests.update(outputDigest, in.channel(), in.path(), t.position() + from, t.length() - from);
                hashedTo += t.length();
            }
            case End e -> { }
        }
    }

    /** Bytes whose hashing was saved by shared prefixes since start-up (tests show the path is taken with it). */
    static final java.util.concurrent.atomic.AtomicLong PREFIX_BYTES_REUSED = new java.util.concurrent.atomic.AtomicLong();

    private MemorySegment take() {
        rethrow();
        try {
            return free.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static <T> void put(BlockingQueue<T> q, T item) {
        try {
            q.put(item);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static void join(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private void rethrow() {
        Throwable t = failure.get();
        if (t == null) return;
        if (t instanceof OrthoException oe) throw oe;
        if (t instanceof RuntimeException re) throw re;
        if (t instanceof Error e) throw e;
        throw new IllegalStateException(t);
    }

    @Override
    public void close() {
        if (!finished) {
            // Failure path: stop the stages (they skip work once a failure is recorded) and wait.
            failure.compareAndSet(null, new IllegalStateException("pipeline abandoned"));
            toWriter.clear();
            toWriter.offer(END);
            if (toHasher != null) {
                toHasher.clear();
                toHasher.offer(END);
            }
            try {
                writer.join(10_000);
                if (hasher != null) hasher.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (!writer.isAlive() && (hasher == null || !hasher.isAlive())) arena.close();
    }
}
