package dev.ortho.formats.checkpoint;

import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.OrthoIoException;
import dev.ortho.formats.safetensors.SafetensorsFile;
import dev.ortho.formats.safetensors.TensorInfo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A model directory: {@code model.safetensors}, or {@code model.safetensors.index.json} and its
 * shards. Opening validates everything: each shard's header, the index's names, and that index
 * and shards agree tensor for tensor (every tensor listed, listed in the right shard, in one shard
 * only).
 */
public final class Checkpoint implements AutoCloseable {

    public static final String SINGLE_FILE = "model.safetensors";

    /** Non-weight files copied into an edited checkpoint byte for byte. */
    private static final Pattern AUXILIARY = Pattern.compile(
            "config\\.json|generation_config\\.json|tokenizer.*|special_tokens_map\\.json|added_tokens\\.json"
                    + "|chat_template\\..*|.*\\.jinja|vocab\\.json|vocab\\.txt|merges\\.txt|.*\\.model|preprocessor_config\\.json"
                    + "|processor_config\\.json");

    private final Path directory;
    private final ShardIndex index;
    private final List<SafetensorsFile> shards;
    private final Map<String, TensorRef> byName;
    private final List<TensorRef> tensors;

    private Checkpoint(Path directory, ShardIndex index, List<SafetensorsFile> shards) {
        this.directory = directory;
        this.index = index;
        this.shards = List.copyOf(shards);
        Map<String, TensorRef> m = new HashMap<>();
        List<TensorRef> all = new ArrayList<>();
        for (SafetensorsFile f : shards) {
            for (TensorInfo t : f.tensors()) {
                TensorRef ref = new TensorRef(f, t);
                TensorRef prev = m.putIfAbsent(t.name(), ref);
                if (prev != null) {
                    throw new InvalidInputException(f.path(), t.name(), "tensor also stored in " + prev.file().path().getFileName()
                            + ": a tensor may live in one shard only");
                }
                all.add(ref);
            }
        }
        this.byName = m;
        this.tensors = Collections.unmodifiableList(all);
    }

    /** Opens a checkpoint directory, or a single {@code .safetensors} file as a one-file checkpoint. */
    public static Checkpoint open(Path path) {
        if (Files.isRegularFile(path) && path.getFileName().toString().endsWith(".safetensors")) {
            Path dir = path.toAbsolutePath().getParent();
            SafetensorsFile f = SafetensorsFile.open(path);
            return new Checkpoint(dir, null, List.of(f));
        }
        if (!Files.isDirectory(path)) {
            throw new InvalidInputException(path, null, Files.exists(path) ? "is neither a directory nor a .safetensors file"
                    : "does not exist");
        }
        Path indexFile = path.resolve(ShardIndex.FILE_NAME);
        if (Files.exists(indexFile)) return openSharded(path, ShardIndex.read(indexFile));
        Path single = path.resolve(SINGLE_FILE);
        if (Files.isRegularFile(single)) return new Checkpoint(path, null, List.of(SafetensorsFile.open(single)));
        throw new InvalidInputException(path, null, "no " + SINGLE_FILE + " and no " + ShardIndex.FILE_NAME
                + ": not a safetensors checkpoint directory");
    }

    private static Checkpoint openSharded(Path dir, ShardIndex index) {
        List<SafetensorsFile> opened = new ArrayList<>();
        try {
            for (String name : index.shardFileNames()) opened.add(SafetensorsFile.open(dir.resolve(name)));
            Checkpoint c = new Checkpoint(dir, index, opened);
            c.checkAgainstIndex();
            return c;
        } catch (RuntimeException e) {
            opened.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    private void checkAgainstIndex() {
        Map<String, String> wm = index.weightMap();
        for (TensorRef t : tensors) {
            String shard = t.file().path().getFileName().toString();
            String listed = wm.get(t.info().name());
            if (listed == null) {
                throw new InvalidInputException(index.file(), t.info().name(), "stored in " + shard + " but missing from the index's weight_map");
            }
            if (!listed.equals(shard)) {
                throw new InvalidInputException(index.file(), t.info().name(), "the index says it is in " + listed + " but it is stored in " + shard);
            }
        }
        for (Map.Entry<String, String> e : wm.entrySet()) {
            if (!byName.containsKey(e.getKey())) {
                throw new InvalidInputException(index.file(), e.getKey(), "listed in the index under " + e.getValue()
                        + " but that shard does not contain it");
            }
        }
    }

    public Path directory() { return directory; }

    public boolean sharded() { return index != null; }

    public Optional<ShardIndex> index() { return Optional.ofNullable(index); }

    /** Shards: sorted by file name for a sharded checkpoint (HF names them 00001-of-N). */
    public List<SafetensorsFile> shards() { return shards; }

    public List<TensorRef> tensors() { return tensors; }

    public Optional<TensorRef> find(String name) { return Optional.ofNullable(byName.get(name)); }

    public TensorRef tensor(String name) {
        return find(name).orElseThrow(() -> new InvalidInputException(directory, name, "no such tensor in the checkpoint"));
    }

    public long totalTensorBytes() {
        return tensors.stream().mapToLong(t -> t.info().byteLength()).sum();
    }

    /** The non-weight files to carry into an output (config, tokenizer, templates), sorted by name. */
    public List<Path> auxiliaryFiles() {
        Path realDir;
        try {
            realDir = directory.toRealPath();
        } catch (IOException e) {
            throw new OrthoIoException(directory, "cannot resolve", e);
        }
        try (Stream<Path> s = Files.list(directory)) {
            // Symlinks count only where they stay in the checkpoint (or its hub cache blobs): a link to
            // /etc/passwd named tokenizer.json must not be copied into the output.
            return s.filter(p -> LocalFiles.resolveMember(realDir, p) != null)
                    .filter(p -> AUXILIARY.matcher(p.getFileName().toString()).matches())
                    .sorted().toList();
        } catch (IOException e) {
            throw new OrthoIoException(directory, "cannot list", e);
        }
    }

    @Override
    public void close() {
        shards.forEach(SafetensorsFile::close);
    }
}
