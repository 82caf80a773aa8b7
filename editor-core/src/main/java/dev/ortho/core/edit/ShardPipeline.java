package dev.ortho.core.edit;

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
 * Moves one shard's bytes through a bounded pipeline: the calling thread reads input chunks (or
 * receives the kernel's output chunks) into a fixed pool of off-heap buffers; a writer thread
 * hashes and appends them to the output; a hasher thread hashes the input in file order. Reading,
 * editing, hashing and writing overlap, and memory is the pool, whatever the shard's size.
 *
 * <p>Chunks go to the writer and the hasher through FIFO queues, so each sees its bytes in order; a
 * buffer returns to the pool once every stage that needed it is done with it.
 */
final class ShardPipeline implements AutoCloseable {

    static final int BUFFERS = 8;
    static final long BUFFER_BYTES = 8L << 20;

    private record Chunk(MemorySegment buffer, long length, boolean write, boolean hashInput, AtomicInteger pending) {}

    private static final Chunk END = new Chunk(MemorySegment.NULL, 0, false, false, new AtomicInteger());

    private final Arena arena = Arena.ofShared();
    private final BlockingQueue<MemorySegment> free = new ArrayBlockingQueue<>(BUFFERS);
    private final BlockingQueue<Chunk> toWriter = new ArrayBlockingQueue<>(BUFFERS + 1);
    private final BlockingQueue<Chunk> toHasher = new ArrayBlockingQueue<>(BUFFERS + 1);
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final MessageDigest inputDigest = Sha256Hex.newDigest();
    private final SafetensorsWriter out;
    private final Thread writer;
    private final Thread hasher;
    private boolean finished;

    private final boolean hashing;

    /** @param hashInput compute the input's SHA-256 ({@link #finish()} returns null otherwise) */
    ShardPipeline(SafetensorsWriter out, boolean hashInput) {
        this.out = out;
        this.hashing = hashInput;
        for (int i = 0; i < BUFFERS; i++) free.add(arena.allocate(BUFFER_BYTES, 4096));
        writer = Thread.ofPlatform().name("ortho-writer").daemon().start(() -> drain(toWriter, true));
        hasher = Thread.ofPlatform().name("ortho-input-sha256").daemon().start(() -> drain(toHasher, false));
    }

    /** Reads [position, position + length) of the input file and sends it to the writer and/or the input hash. */
    void copy(SafetensorsFile in, long position, long length, boolean write, boolean hashInput) {
        for (long done = 0; done < length; ) {
            long n = Math.min(BUFFER_BYTES, length - done);
            MemorySegment buf = take();
            in.read(position + done, buf, n);
            submit(buf, n, write, hashInput);
            done += n;
        }
    }

    /** Sends bytes produced by the kernel (valid only during the call) to the writer. */
    void emit(MemorySegment bytes) {
        for (long done = 0; done < bytes.byteSize(); ) {
            long n = Math.min(BUFFER_BYTES, bytes.byteSize() - done);
            MemorySegment buf = take();
            MemorySegment.copy(bytes, done, buf, 0, n);
            submit(buf, n, true, false);
            done += n;
        }
    }

    /** Waits for the writer and hasher to finish; returns the input's SHA-256 (hex). */
    String finish() {
        finished = true;
        put(toWriter, END);
        put(toHasher, END);
        join(writer);
        join(hasher);
        rethrow();
        return hashing ? Sha256Hex.of(inputDigest.digest()) : null;
    }

    private void submit(MemorySegment buf, long n, boolean write, boolean hashInput) {
        hashInput &= hashing;
        int stages = (write ? 1 : 0) + (hashInput ? 1 : 0);
        if (stages == 0) {
            free.add(buf);
            return;
        }
        Chunk c = new Chunk(buf, n, write, hashInput, new AtomicInteger(stages));
        if (write) put(toWriter, c);
        if (hashInput) put(toHasher, c);
    }

    private void drain(BlockingQueue<Chunk> queue, boolean isWriter) {
        try {
            while (true) {
                Chunk c = queue.take();
                if (c == END) return;
                if (failure.get() == null) {
                    try {
                        MemorySegment bytes = c.buffer().asSlice(0, c.length());
                        if (isWriter) out.write(bytes);
                        else inputDigest.update(bytes.asByteBuffer());
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                }
                if (c.pending().decrementAndGet() == 0) free.add(c.buffer());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

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
            toHasher.clear();
            toWriter.offer(END);
            toHasher.offer(END);
            try {
                writer.join(10_000);
                hasher.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (!writer.isAlive() && !hasher.isAlive()) arena.close();
    }
}
