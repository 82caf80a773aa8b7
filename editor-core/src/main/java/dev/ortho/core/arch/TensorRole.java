package dev.ortho.core.arch;

/**
 * The classification of one tensor by an architecture spec.
 *
 * @param role   what it does with respect to the residual stream
 * @param layer  the decoder layer it belongs to, or -1 (embeddings, head, final norm)
 * @param layout how a writer is stored; null for LM_HEAD and OTHER
 * @param rule   the spec rule's pattern that matched, for reports
 */
public record TensorRole(Role role, int layer, WriterLayout layout, String rule) {

    public static final TensorRole OTHER = new TensorRole(Role.OTHER, -1, null, null);

    public boolean writer() { return role.writer(); }
}
