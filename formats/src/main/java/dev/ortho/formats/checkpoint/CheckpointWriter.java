package dev.ortho.formats.checkpoint;

import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.OrthoIoException;
import dev.ortho.formats.PythonJson;
import dev.ortho.formats.safetensors.SafetensorsWriter;
import dev.ortho.formats.safetensors.TensorLayout;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Writes an output model directory so that it appears complete or not at all: everything goes
 * into a temporary sibling {@code .NAME.ortho-tmp-XXXX}, is fsynced, and is renamed to NAME by
 * {@link #commit()}. Closing without committing deletes the temporary directory; a shutdown hook
 * does the same on SIGTERM/Ctrl-C; after a SIGKILL the temporary directory is left, recognisable
 * by name, and removed by {@code ortho clean} (it is never mistaken for output).
 */
public final class CheckpointWriter implements AutoCloseable {

    private static final String TMP_MARKER = ".ortho-tmp-";
    private static final Set<Path> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Path p : LIVE) {
                try {
                    deleteRecursively(p);
                } catch (IOException ignored) {
                    // best effort while the JVM exits; ortho clean handles leftovers
                }
            }
        }, "ortho-tmp-cleanup"));
    }

    private final Path out;
    private final Path staging;
    private final boolean force;
    private final Map<String, Long> shardSizes = new LinkedHashMap<>();
    private final List<Path> written = new ArrayList<>();
    private boolean committed;

    private final FileChannel lockChannel;
    private final FileLock lock;

    private CheckpointWriter(Path out, Path staging, boolean force, FileChannel lockChannel, FileLock lock) {
        this.out = out;
        this.staging = staging;
        this.force = force;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /**
     * @param outDir            where the output will appear
     * @param force             replace an existing outDir
     * @param inputsNotToTouch  input directories: the output may be none of them nor inside one
     */
    public static CheckpointWriter create(Path outDir, boolean force, List<Path> inputsNotToTouch) {
        Path out = outDir.toAbsolutePath().normalize();
        for (Path in : inputsNotToTouch) {
            Path input = real(in.toAbsolutePath().normalize());
            Path target = realPrefix(out);
            if (target.equals(input)) throw new InvalidInputException(outDir, null, "output is the input checkpoint itself; Ortho never modifies its input");
            if (target.startsWith(input)) throw new InvalidInputException(outDir, null, "output lies inside the input checkpoint " + in + "; choose a directory outside it");
            if (input.startsWith(target)) throw new InvalidInputException(outDir, null, "output contains the input checkpoint " + in + "; replacing it would destroy the input");
        }
        if (Files.exists(out, LinkOption.NOFOLLOW_LINKS)) {
            if (!force) throw new InvalidInputException(outDir, null, "output already exists (use --force to replace it)");
            if (!Files.isDirectory(out, LinkOption.NOFOLLOW_LINKS)) throw new InvalidInputException(outDir, null, "output exists and is not a directory");
        }
        Path parent = out.getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new InvalidInputException(outDir, null, "parent directory " + parent + " does not exist");
        }
        byte[] rnd = new byte[6];
        new SecureRandom().nextBytes(rnd);
        Path staging = parent.resolve("." + out.getFileName() + TMP_MARKER + HexFormat.of().formatHex(rnd));
        // The lock file beside the temporary directory says "someone is writing this": the OS drops
        // the lock when the process dies, even by SIGKILL, which is how leftovers are told apart.
        Path lockFile = lockFileOf(staging);
        FileChannel lockChannel = null;
        try {
            lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            FileLock lock = lockChannel.lock();
            Files.createDirectory(staging);
            LIVE.add(staging);
            removeStale(parent, "." + out.getFileName() + TMP_MARKER);
            return new CheckpointWriter(out, staging, force, lockChannel, lock);
        } catch (IOException e) {
            try {
                if (lockChannel != null) lockChannel.close();
                Files.deleteIfExists(lockFile);
            } catch (IOException ignored) {
                // the original failure is what matters
            }
            throw new OrthoIoException(staging, "cannot create the temporary output directory", e);
        }
    }

    private static Path lockFileOf(Path staging) {
        return staging.resolveSibling(staging.getFileName() + ".lock");
    }

    /** Deletes leftovers of killed runs for the same output name: the next run cleans up after the last. */
    private static void removeStale(Path parent, String prefix) {
        for (Path p : staleTempDirs(parent)) {
            if (!p.getFileName().toString().startsWith(prefix)) continue;
            try {
                deleteRecursively(p);
                Files.deleteIfExists(lockFileOf(p));
            } catch (IOException ignored) {
                // leave it to ortho clean
            }
        }
    }

    /**
     * Fails fast, before any tensor is written, when the output's file system has less usable
     * space than {@code bytes}: a user learns it in a second, not after minutes of copying. The
     * check can be turned off with {@code -Dortho.spaceCheck=false} for file systems that misreport
     * free space; a full disk mid-write is still caught and cleaned up.
     */
    public void requireSpace(long bytes) {
        if ("false".equals(System.getProperty("ortho.spaceCheck"))) return;
        long usable;
        try {
            usable = Files.getFileStore(staging).getUsableSpace();
        } catch (IOException e) {
            return; // cannot tell: the writes themselves will fail cleanly if space runs out
        }
        if (usable < bytes) {
            throw new OrthoIoException(out, "not enough space: the output needs " + human(bytes) + " but its file system has "
                    + human(usable) + " free; nothing was written", null);
        }
    }

    private static String human(long bytes) {
        if (bytes >= 1L << 30) return String.format(java.util.Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
        if (bytes >= 1L << 20) return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
        return bytes + " bytes";
    }

    /** The temporary directory files are written into until {@link #commit()}. */
    public Path stagingDirectory() { return staging; }

    public Path outputDirectory() { return out; }

    public SafetensorsWriter newShard(String fileName, Map<String, String> metadata, List<TensorLayout> tensors) {
        return newShard(fileName, metadata, tensors, true);
    }

    public SafetensorsWriter newShard(String fileName, Map<String, String> metadata, List<TensorLayout> tensors, boolean hash) {
        Path p = child(fileName);
        SafetensorsWriter w = SafetensorsWriter.create(p, metadata, tensors, hash);
        long data = 0;
        for (TensorLayout t : tensors) data += t.byteLength();
        shardSizes.put(fileName, data);
        written.add(p);
        return w;
    }

    /**
     * Records a shard placed into the staging directory by the caller (e.g. hard-linked from a
     * part), so that the index's total_size counts its data bytes and commit fsyncs it.
     */
    public void registerWritten(String fileName, long dataBytes) {
        shardSizes.put(fileName, dataBytes);
        written.add(child(fileName));
    }

    /** Copies a file byte for byte under its own name. */
    public void copyFile(Path source) {
        Path p = child(source.getFileName().toString());
        try {
            Files.copy(source, p, StandardCopyOption.COPY_ATTRIBUTES);
            written.add(p);
        } catch (IOException e) {
            throw new OrthoIoException(source, "cannot copy into the output", e);
        }
    }

    public void writeFile(String name, byte[] content) {
        Path p = child(name);
        try {
            Files.write(p, content, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            written.add(p);
        } catch (IOException e) {
            throw new OrthoIoException(p, "cannot write", e);
        }
    }

    /**
     * Writes model.safetensors.index.json as HF does ({@code json.dumps(indent=2)} and a newline),
     * with {@code total_size} set to the data bytes of the shards written. Returns its bytes.
     */
    public byte[] writeIndex(Map<String, Object> metadata, Map<String, String> weightMap) {
        Map<String, Object> meta = new LinkedHashMap<>(metadata);
        long total = shardSizes.values().stream().mapToLong(Long::longValue).sum();
        meta.put("total_size", total);
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("metadata", meta);
        index.put("weight_map", weightMap);
        byte[] bytes = PythonJson.dumps(StrictJson.mapper().valueToTree(index)).getBytes(StandardCharsets.UTF_8);
        writeFile(ShardIndex.FILE_NAME, bytes);
        return bytes;
    }

    private Path child(String name) {
        if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.equals("..") || name.equals(".")) {
            throw new IllegalArgumentException("not a plain file name: " + name);
        }
        return staging.resolve(name);
    }

    /** Fsyncs everything and renames the temporary directory to the output path. */
    public void commit() {
        try {
            for (Path p : written) fsync(p, false);
            fsync(staging, true);
            Path old = null;
            if (Files.exists(out, LinkOption.NOFOLLOW_LINKS)) {
                if (!force) throw new InvalidInputException(out, null, "output appeared while writing; not replacing it without --force");
                old = out.resolveSibling("." + out.getFileName() + TMP_MARKER + "old-" + System.nanoTime());
                Files.move(out, old, StandardCopyOption.ATOMIC_MOVE);
            }
            try {
                Files.move(staging, out, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new OrthoIoException(out, "the file system cannot rename atomically", e);
            }
            committed = true;
            LIVE.remove(staging);
            releaseLock();
            fsync(out.getParent(), true);
            if (old != null) deleteRecursively(old);
        } catch (IOException e) {
            throw new OrthoIoException(out, "cannot publish the output directory", e);
        }
    }

    private static void fsync(Path p, boolean directory) throws IOException {
        try (FileChannel ch = FileChannel.open(p, directory ? StandardOpenOption.READ : StandardOpenOption.WRITE)) {
            ch.force(true);
        } catch (IOException e) {
            if (!directory) throw e;
            // Some file systems refuse to open directories for fsync; the rename is still atomic.
        }
    }

    @Override
    public void close() {
        if (committed) return;
        try {
            deleteRecursively(staging);
        } catch (IOException e) {
            throw new OrthoIoException(staging, "cannot remove the temporary output directory", e);
        } finally {
            LIVE.remove(staging);
            releaseLock();
        }
    }

    private void releaseLock() {
        try {
            if (lock.isValid()) lock.release();
            lockChannel.close();
            Files.deleteIfExists(lockFileOf(staging));
        } catch (IOException ignored) {
            // a stale lock file is harmless: its lock is free, so clean removes it
        }
    }

    /**
     * Temporary directories left in {@code parent} by runs that were killed: those whose lock file
     * is gone or whose lock no live process holds. A directory another process is still writing
     * keeps its lock and is never listed.
     */
    public static List<Path> staleTempDirs(Path parent) {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(parent)) return out;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(parent, ".*" + TMP_MARKER + "*")) {
            for (Path p : ds) {
                if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) || LIVE.contains(p.toAbsolutePath().normalize())) continue;
                if (!lockedByLiveProcess(lockFileOf(p))) out.add(p);
            }
        } catch (IOException e) {
            throw new OrthoIoException(parent, "cannot list", e);
        }
        out.sort(null);
        return out;
    }

    private static boolean lockedByLiveProcess(Path lockFile) {
        if (!Files.exists(lockFile)) return false;
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
            FileLock l = ch.tryLock();
            if (l == null) return true;
            l.release();
            return false;
        } catch (java.nio.channels.OverlappingFileLockException e) {
            return true; // held by this very JVM
        } catch (IOException e) {
            return true; // cannot tell: leave it alone
        }
    }

    public static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) return;
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                if (exc != null) throw exc;
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static Path real(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p;
        }
    }

    /** The real path of the longest existing prefix of p, with the rest appended. */
    private static Path realPrefix(Path p) {
        Path existing = p;
        List<Path> rest = new ArrayList<>();
        while (existing != null && !Files.exists(existing)) {
            rest.add(0, existing.getFileName());
            existing = existing.getParent();
        }
        Path base = existing == null ? p.getRoot() : real(existing);
        for (Path r : rest) base = base.resolve(r);
        return base;
    }
}
