package dev.ortho.core.edit;

import dev.ortho.core.provenance.EditParameters;
import dev.ortho.core.provenance.EditedTensor;
import dev.ortho.core.provenance.FileDigest;
import dev.ortho.core.provenance.Manifest;
import dev.ortho.core.provenance.ManifestJson;
import dev.ortho.core.provenance.PartInfo;
import dev.ortho.core.provenance.ToolInfo;
import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.OrthoIoException;
import dev.ortho.formats.checkpoint.CheckpointWriter;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * {@code ortho assemble}: joins the parts written by {@code --shard-group} workers into one
 * checkpoint. It refuses parts that do not fit together (another input, direction or parameter;
 * a group missing or given twice; a shard missing or claimed twice), then links (or copies) the
 * shards, writes the index, the non-weight files and the merged manifest, and publishes the
 * directory atomically. The parts are left untouched.
 */
public final class PartAssembler {

    private PartAssembler() {}

    public record Result(Path out, Manifest manifest, int parts, int shards) {}

    public static Result assemble(List<Path> partsOrParents, Path out, boolean force, List<String> commandLine) {
        List<Path> partDirs = expand(partsOrParents);
        Map<Integer, Path> byIndex = new TreeMap<>();
        Map<Integer, Manifest> manifests = new TreeMap<>();
        Manifest first = null;
        for (Path dir : partDirs) {
            Manifest m = ManifestJson.read(dir.resolve(Manifest.FILE_NAME));
            PartInfo p = m.part();
            if (p == null) throw new InvalidInputException(dir, null, "not a --shard-group part (its manifest has no 'part')");
            if (first == null) first = m;
            checkCompatible(dir, first, m);
            Path prev = byIndex.putIfAbsent(p.index(), dir);
            if (prev != null) {
                throw new InvalidInputException(dir, null, "part " + p.index() + "/" + p.count() + " is given twice (also " + prev + ")");
            }
            manifests.put(p.index(), m);
        }
        if (first == null) throw new InvalidInputException("assemble: no parts given");
        int count = first.part().count();
        List<Integer> missing = new ArrayList<>();
        for (int i = 0; i < count; i++) if (!byIndex.containsKey(i)) missing.add(i);
        if (!missing.isEmpty()) {
            throw new InvalidInputException("assemble: parts " + missing + " of " + count + " are missing (have " + byIndex.keySet() + ")");
        }

        // Every shard of the assignment must come from exactly the part it was assigned to.
        Map<String, Integer> assignment = new TreeMap<>(first.part().assignment());
        Map<String, FileDigest> shardDigests = new LinkedHashMap<>();
        Map<String, Path> shardSource = new LinkedHashMap<>();
        for (Map.Entry<Integer, Manifest> e : manifests.entrySet()) {
            Path dir = byIndex.get(e.getKey());
            for (String shard : e.getValue().part().shardTensors().keySet()) {
                Integer owner = assignment.get(shard);
                if (owner == null || owner.intValue() != e.getKey()) {
                    throw new InvalidInputException(dir, null, "holds shard " + shard + " which the assignment gives to part " + owner);
                }
                if (shardSource.putIfAbsent(shard, dir) != null) {
                    throw new InvalidInputException(dir, null, "shard " + shard + " is provided twice");
                }
                FileDigest d = e.getValue().outputs().stream().filter(f -> f.path().equals(shard)).findFirst()
                        .orElseThrow(() -> new InvalidInputException(dir, null, "manifest lists shard " + shard + " without its digest"));
                checkFile(dir.resolve(shard), d);
                shardDigests.put(shard, d);
            }
        }
        for (String shard : assignment.keySet()) {
            if (!shardSource.containsKey(shard)) {
                throw new InvalidInputException(byIndex.get(assignment.get(shard)), null, "shard " + shard + " assigned to this part is missing");
            }
        }

        try (CheckpointWriter writer = CheckpointWriter.create(out, force, partDirs)) {
            List<FileDigest> outputs = new ArrayList<>();
            Map<String, String> weightMap = new LinkedHashMap<>();
            for (String shard : assignment.keySet()) {
                link(shardSource.get(shard).resolve(shard), writer.stagingDirectory().resolve(shard));
                writer.registerWritten(shard, shardDigests.get(shard).size() - headerLength(shardSource.get(shard).resolve(shard)));
                outputs.add(shardDigests.get(shard));
                Manifest owner = manifests.get(assignment.get(shard));
                for (String t : owner.part().shardTensors().get(shard)) weightMap.put(t, shard);
            }
            // Non-weight files travel with part 0.
            Path zero = byIndex.get(0);
            for (FileDigest f : manifests.get(0).outputs()) {
                if (shardDigests.containsKey(f.path())) continue;
                checkFile(zero.resolve(f.path()), f);
                writer.writeFile(f.path(), Files.readAllBytes(zero.resolve(f.path())));
                outputs.add(f);
            }
            if (first.part().sharded()) {
                byte[] index = writer.writeIndex(first.part().indexMetadata(), weightMap);
                outputs.add(new FileDigest("model.safetensors.index.json", index.length,
                        Sha256Hex.of(Sha256Hex.newDigest().digest(index))));
            }
            Manifest merged = merge(first, manifests, outputs, commandLine);
            writer.writeFile(Manifest.FILE_NAME, ManifestJson.toBytes(merged));
            writer.commit();
            return new Result(out, merged, count, assignment.size());
        } catch (IOException e) {
            throw new OrthoIoException(out, "assembling failed", e);
        }
    }

    private static Manifest merge(Manifest first, Map<Integer, Manifest> parts, List<FileDigest> outputs, List<String> commandLine) {
        LinkedHashSet<FileDigest> inputs = new LinkedHashSet<>();
        List<EditedTensor> edits = new ArrayList<>();
        LinkedHashSet<String> warnings = new LinkedHashSet<>();
        List<String> cmd = new ArrayList<>(commandLine);
        for (Manifest m : parts.values()) {
            inputs.addAll(m.inputs());
            edits.addAll(m.edits());
            warnings.addAll(m.warnings());
        }
        // Edits in output order: shard by shard (sorted, as the single run writes them), header order within.
        Map<String, Integer> order = new LinkedHashMap<>();
        for (Manifest m : parts.values()) {
            m.part().shardTensors().forEach((shard, tensors) -> tensors.forEach(t -> order.put(shard + "\u0000" + t, 0)));
        }
        List<String> keys = new ArrayList<>(order.keySet());
        keys.sort(null);
        Map<String, Integer> rank = new LinkedHashMap<>();
        for (int i = 0; i < keys.size(); i++) rank.put(keys.get(i), i);
        edits.sort(java.util.Comparator.comparing(e -> rank.getOrDefault(e.file() + "\u0000" + e.name(), Integer.MAX_VALUE)));
        for (Manifest m : parts.values()) cmd.add("# part " + m.part().index() + ": " + String.join(" ", m.commandLine()));
        return new Manifest(Manifest.FORMAT, ToolInfo.current(), Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), cmd,
                "ablate (assembled from " + parts.size() + " parts)", List.copyOf(inputs), first.direction(), first.parameters(),
                edits, outputs, List.copyOf(warnings), null);
    }

    private static void checkCompatible(Path dir, Manifest first, Manifest m) {
        PartInfo a = first.part(), b = m.part();
        String why = null;
        if (a.count() != b.count()) why = "it is part of " + b.count() + " groups, not " + a.count();
        else if (!a.assignment().equals(b.assignment())) why = "its shard assignment differs (another input checkpoint?)";
        else if (!Objects.equals(a.sourceIndexSha(), b.sourceIndexSha())) why = "it was made from another input checkpoint";
        else if (!first.direction().sha256().equals(m.direction().sha256())) why = "it used another direction file";
        else if (!sameParameters(first.parameters(), m.parameters())) why = "it used other edit parameters";
        if (why != null) throw new InvalidInputException(dir, null, "part does not fit with the others: " + why);
    }

    /** Thread counts and kernel arithmetic may differ between workers; they do not change the bytes. */
    private static boolean sameParameters(EditParameters a, EditParameters b) {
        return a.arch().equals(b.arch()) && a.alpha() == b.alpha() && a.layers().equals(b.layers())
                && a.components().equals(b.components()) && a.tiedEmbeddings().equals(b.tiedEmbeddings())
                && a.allowApproximate() == b.allowApproximate();
    }

    private static void checkFile(Path p, FileDigest d) {
        try {
            if (!Files.isRegularFile(p)) throw new InvalidInputException(p, null, "listed in the part manifest but missing");
            if (Files.size(p) != d.size()) {
                throw new InvalidInputException(p, null, "has " + Files.size(p) + " bytes but the part manifest says " + d.size());
            }
        } catch (IOException e) {
            throw new OrthoIoException(p, "cannot read", e);
        }
    }

    /** A hard link when the parts live on the same file system (no bytes copied), else a copy. */
    private static void link(Path from, Path to) throws IOException {
        try {
            Files.createLink(to, from);
        } catch (FileSystemException | UnsupportedOperationException e) {
            Files.copy(from, to);
        }
    }

    private static long headerLength(Path shard) throws IOException {
        try (var ch = java.nio.channels.FileChannel.open(shard)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            ch.read(b, 0);
            return 8 + b.flip().getLong();
        }
    }

    /** Part directories given directly, or found as part-* inside a given directory. */
    private static List<Path> expand(List<Path> given) {
        List<Path> out = new ArrayList<>();
        for (Path p : given) {
            if (Files.isRegularFile(p.resolve(Manifest.FILE_NAME))) {
                out.add(p);
                continue;
            }
            if (!Files.isDirectory(p)) throw new InvalidInputException(p, null, "is not a part directory");
            try (Stream<Path> s = Files.list(p)) {
                List<Path> found = s.filter(d -> d.getFileName().toString().matches("part-\\d+-of-\\d+"))
                        .filter(Files::isDirectory).sorted().toList();
                if (found.isEmpty()) throw new InvalidInputException(p, null, "holds no part-NNNNN-of-NNNNN directories");
                out.addAll(found);
            } catch (IOException e) {
                throw new OrthoIoException(p, "cannot list", e);
            }
        }
        return out;
    }
}
