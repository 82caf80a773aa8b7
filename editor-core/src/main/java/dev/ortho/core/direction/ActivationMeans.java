package dev.ortho.core.direction;

import java.util.Arrays;
import java.util.TreeMap;

/**
 * Float64 mean of residual activations over one prompt set, for every (post-instruction position, layer):
 * μ_i^(l) = (1/|D|) Σ_{t∈D} x_i^(l)(t) (METHOD.md §1 "Formula").
 *
 * <p>Each prompt's activations are a flat array laid out {@code [position][layer][hidden]}, position p = 0..n−1
 * standing for offset p − n (so the last is −1), the layout of the paper's {@code mean_diffs}.
 *
 * <p><b>Determinism.</b> Float64 addition is not associative, so a sum that followed the order in which
 * batches arrive would change in its last bits with batch size or scheduling. Here prompt t's activations are
 * always added after those of prompts 0..t−1, whatever order or grouping they arrive in: a prompt that arrives
 * early waits in a reorder buffer until the prompts before it are in. The result depends only on the prompts
 * and their indices. (The paper adds (1/n)·Σ_batch per batch of 32 on the device, §1; this sums in prompt order
 * and divides once, which differs from it only by rounding, about 1e-16 relative.)
 */
public final class ActivationMeans {

    private final int positions;
    private final int layers;
    private final int hidden;
    private final double[] sum;
    /** Prompts that arrived before some prompt with a smaller index; added once the gap is filled. */
    private final TreeMap<Integer, float[]> pending = new TreeMap<>();
    private int next;

    public ActivationMeans(int positions, int layers, int hidden) {
        if (positions <= 0 || layers <= 0 || hidden <= 0)
            throw new IllegalArgumentException("positions, layers and hidden must be positive: " + positions + ", " + layers + ", " + hidden);
        this.positions = positions;
        this.layers = layers;
        this.hidden = hidden;
        this.sum = new double[Math.multiplyExact(Math.multiplyExact(positions, layers), hidden)];
    }

    /** Number of values of one prompt: positions × layers × hidden. */
    public int promptSize() { return sum.length; }

    /**
     * Adds prompt {@code promptIndex}'s activations ({@code [position][layer][hidden]}, upcast to float64 here).
     * Each index 0..n−1 must be added exactly once, in any order.
     */
    public synchronized void add(int promptIndex, float[] activations) {
        if (activations.length != sum.length)
            throw new IllegalArgumentException("prompt " + promptIndex + " has " + activations.length
                    + " values; expected " + positions + " × " + layers + " × " + hidden + " = " + sum.length);
        if (promptIndex < 0) throw new IllegalArgumentException("negative prompt index " + promptIndex);
        if (promptIndex < next || pending.containsKey(promptIndex))
            throw new IllegalArgumentException("prompt " + promptIndex + " was already added");
        if (promptIndex > next) {
            pending.put(promptIndex, activations.clone());
            return;
        }
        accumulate(activations);
        while (!pending.isEmpty() && pending.firstKey() == next) accumulate(pending.pollFirstEntry().getValue());
    }

    /** Adds a batch: prompts {@code firstIndex .. firstIndex+batchSize−1}, laid out {@code [batch][position][layer][hidden]}. */
    public void addBatch(int firstIndex, int batchSize, float[] activations) {
        if ((long) batchSize * sum.length != activations.length)
            throw new IllegalArgumentException("batch of " + batchSize + " prompts has " + activations.length
                    + " values; expected " + (long) batchSize * sum.length);
        for (int b = 0; b < batchSize; b++)
            add(firstIndex + b, Arrays.copyOfRange(activations, b * sum.length, (b + 1) * sum.length));
    }

    /**
     * Non-finite activations (fp16 overflow) are summed as they are, as the paper does: the candidate becomes
     * NaN and its scores NaN, and selection discards it (§2.4 filter 1).
     */
    private void accumulate(float[] a) {
        for (int i = 0; i < a.length; i++) sum[i] += a[i];
        next++;
    }

    /** Number of prompts added in order so far (prompts waiting for a smaller index are not counted). */
    public synchronized int count() { return next; }

    /**
     * The float64 means, {@code [position][layer][hidden]} flattened.
     *
     * @throws IllegalStateException if nothing was added or a prompt index is missing
     */
    public synchronized double[] mean() {
        if (!pending.isEmpty())
            throw new IllegalStateException("prompt " + next + " is missing (prompts up to " + pending.lastKey() + " were added)");
        if (next == 0) throw new IllegalStateException("no prompts were added");
        double[] m = new double[sum.length];
        for (int i = 0; i < m.length; i++) m[i] = sum[i] / next;
        return m;
    }

    public int positions() { return positions; }

    public int layers() { return layers; }

    public int hidden() { return hidden; }
}
