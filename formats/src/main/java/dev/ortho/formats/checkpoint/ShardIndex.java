package dev.ortho.formats.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.OrthoIoException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * {@code model.safetensors.index.json}: which shard holds each tensor. Every shard name is checked
 * to be a plain file inside the checkpoint directory before anything opens it: no absolute paths,
 * no {@code ..}, no symlink leading out.
 */
public final class ShardIndex {

    public static final String FILE_NAME = "model.safetensors.index.json";

    private final Path file;
    private final Map<String, Object> metadata;
    private final Map<String, String> weightMap;
    private final List<String> shardFileNames;

    private ShardIndex(Path file, Map<String, Object> metadata, Map<String, String> weightMap, List<String> shards) {
        this.file = file;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.weightMap = Collections.unmodifiableMap(weightMap);
        this.shardFileNames = List.copyOf(shards);
    }

    public static ShardIndex read(Path indexFile) {
        JsonNode root = StrictJson.read(indexFile, "shard index");
        JsonNode wm = root.get("weight_map");
        if (wm == null || !wm.isObject()) throw bad(indexFile, "has no 'weight_map' object");
        Map<String, Object> metadata = new LinkedHashMap<>();
        JsonNode meta = root.get("metadata");
        if (meta != null) {
            if (!meta.isObject()) throw bad(indexFile, "'metadata' is not an object");
            for (Iterator<Map.Entry<String, JsonNode>> it = meta.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                metadata.put(e.getKey(), StrictJson.mapper().convertValue(e.getValue(), Object.class));
            }
        }
        Path dir = indexFile.toAbsolutePath().getParent();
        Path realDir = realPath(dir, indexFile);
        Map<String, String> weightMap = new LinkedHashMap<>();
        LinkedHashSet<String> checked = new LinkedHashSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = wm.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) throw bad(indexFile, "weight_map entry '" + e.getKey() + "' is not a file name");
            String shard = e.getValue().asText();
            if (checked.add(shard)) checkShardName(indexFile, dir, realDir, shard, e.getKey());
            weightMap.put(e.getKey(), shard);
        }
        if (weightMap.isEmpty()) throw bad(indexFile, "weight_map is empty");
        List<String> shards = new ArrayList<>(checked);
        Collections.sort(shards);
        return new ShardIndex(indexFile, metadata, weightMap, shards);
    }

    private static void checkShardName(Path indexFile, Path dir, Path realDir, String shard, String tensor) {
        String why = null;
        if (shard.isEmpty()) why = "is empty";
        else if (shard.indexOf('\0') >= 0) why = "contains a NUL byte";
        else if (shard.startsWith("/") || shard.matches("^[A-Za-z]:.*")) why = "is an absolute path";
        else if (shard.contains("\\")) why = "contains a backslash";
        else if (shard.contains("/")) why = "names a subdirectory (shards must sit beside the index)";
        else if (shard.equals("..") || shard.equals(".")) why = "is not a file name";
        if (why != null) {
            throw new InvalidInputException(indexFile, tensor, "shard name '" + shard + "' " + why);
        }
        Path p = dir.resolve(shard);
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            throw new InvalidInputException(indexFile, tensor, "shard '" + shard + "' named by the index does not exist");
        }
        Path real = realPath(p, indexFile);
        if (!LocalFiles.belongs(realDir, real)) {
            throw new InvalidInputException(indexFile, tensor, "shard '" + shard + "' resolves to " + real
                    + ", outside the checkpoint directory (symlink?)");
        }
        if (!Files.isRegularFile(real)) {
            throw new InvalidInputException(indexFile, tensor, "shard '" + shard + "' is not a regular file");
        }
    }

    private static Path realPath(Path p, Path indexFile) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            throw new OrthoIoException(indexFile, "cannot resolve " + p, e);
        }
    }

    private static InvalidInputException bad(Path file, String problem) {
        return new InvalidInputException(file, null, "shard index " + problem);
    }

    public Path file() { return file; }

    /** The index's {@code metadata} object (total_size and whatever else the writer put there). */
    public Map<String, Object> metadata() { return metadata; }

    /** Tensor name → shard file name, in file order. */
    public Map<String, String> weightMap() { return weightMap; }

    /** Distinct shard file names, sorted. */
    public List<String> shardFileNames() { return shardFileNames; }

}
