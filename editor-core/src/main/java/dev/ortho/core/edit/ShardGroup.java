package dev.ortho.core.edit;

import dev.ortho.formats.InvalidInputException;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code --shard-group i/n}: worker i (0-based, as Kubernetes' JOB_COMPLETION_INDEX) of n edits only
 * its shards. The assignment is a pure function of the shard names and sizes, so every worker
 * computes the same one without talking to the others: largest shard first, each to the group with
 * the fewest bytes so far (lowest index on ties).
 */
public record ShardGroup(int index, int count) {

    public ShardGroup {
        if (count < 1 || count > 100_000 || index < 0 || index >= count) {
            throw new InvalidInputException("--shard-group " + index + "/" + count + ": need 0 <= i < n (i is 0-based)");
        }
    }

    public static ShardGroup parse(String text) {
        String[] p = text.split("/");
        try {
            if (p.length != 2) throw new NumberFormatException();
            return new ShardGroup(Integer.parseInt(p[0].strip()), Integer.parseInt(p[1].strip()));
        } catch (NumberFormatException e) {
            throw new InvalidInputException("--shard-group '" + text + "' is not i/n (e.g. 0/4; i is 0-based)");
        }
    }

    /** Shard file name → group, for shards given with their sizes in bytes. */
    public static Map<String, Integer> assign(Map<String, Long> shardBytes, int count) {
        List<Map.Entry<String, Long>> order = new ArrayList<>(shardBytes.entrySet());
        order.sort(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()).thenComparing(Map.Entry.comparingByKey()));
        long[] load = new long[count];
        Map<String, Integer> out = new LinkedHashMap<>();
        for (Map.Entry<String, Long> e : order) {
            int best = 0;
            for (int g = 1; g < count; g++) if (load[g] < load[best]) best = g;
            load[best] += e.getValue();
            out.put(e.getKey(), best);
        }
        Map<String, Integer> sorted = new LinkedHashMap<>();
        shardBytes.keySet().stream().sorted().forEach(k -> sorted.put(k, out.get(k)));
        return sorted;
    }

    /** Directory name of this group's part inside the shared output location. */
    public String partName() {
        return String.format("part-%05d-of-%05d", index, count);
    }
}
