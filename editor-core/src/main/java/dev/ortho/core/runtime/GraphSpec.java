package dev.ortho.core.runtime;

/**
 * Which variant of a model's graph to build. Every feature that costs work is built in only when
 * asked for, so the plain graph carries no intervention inputs and no extra outputs.
 *
 * @param cache          past key/values as inputs ({@code past_key_L}, {@code past_value_L}) and the
 *                       grown cache as outputs ({@code present_key_L}, {@code present_value_L})
 * @param intervention   none, ablation (input {@code ablate_dirs} [layers, hidden]) or activation
 *                       addition (input {@code actadd_vec} [hidden]) at {@code actAddLayer}, or both
 *                       per sequence (inputs {@code seq_ablate_dirs} [batch, hidden] and
 *                       {@code seq_add_vecs} [layers, batch, hidden])
 * @param actAddLayer    layer whose input receives the added vector (ACTADD only)
 * @param lastLogitsOnly logits only for the last position ([B,1,V]), else [B,T,V]
 * @param captureResiduals outputs {@code resid_L} (input of layer L, before any intervention there),
 *                       {@code resid_final} (last layer's output, before the final norm) and
 *                       {@code normed_final}
 * @param lastK          captured residuals cover only the last k positions; 0 means all
 */
record GraphSpec(boolean cache, Kind intervention, int actAddLayer, boolean lastLogitsOnly, boolean captureResiduals,
                 int lastK) {

    enum Kind { NONE, ABLATE, ABLATE_POSTNORM, ACTADD, PER_SEQUENCE }

    static GraphSpec plain() { return new GraphSpec(false, Kind.NONE, -1, false, false, 0); }
}
