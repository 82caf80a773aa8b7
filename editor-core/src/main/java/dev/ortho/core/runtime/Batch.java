package dev.ortho.core.runtime;

import java.util.List;

/** Sequences left-padded to one length: ids and mask row-major [size, length]. */
record Batch(int size, int length, int[] lengths, long[] ids, long[] mask) {

    static Batch leftPadded(List<int[]> seqs, int padId) {
        if (seqs.isEmpty()) throw RuntimeFailure.badRequest("no sequences");
        int n = seqs.size(), t = 0;
        int[] lengths = new int[n];
        for (int i = 0; i < n; i++) {
            lengths[i] = seqs.get(i).length;
            if (lengths[i] == 0) throw RuntimeFailure.badRequest("sequence " + i + " is empty");
            t = Math.max(t, lengths[i]);
        }
        long[] ids = new long[n * t], mask = new long[n * t];
        for (int i = 0; i < n; i++) {
            int[] s = seqs.get(i);
            int off = t - s.length;
            for (int j = 0; j < t; j++) {
                ids[i * t + j] = j < off ? padId : s[j - off];
                mask[i * t + j] = j < off ? 0 : 1;
            }
        }
        return new Batch(n, t, lengths, ids, mask);
    }
}
