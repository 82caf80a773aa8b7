package dev.ortho.core.runtime;

/**
 * What a forward pass returns besides logits.
 *
 * @param residuals      the residual stream at the input of every layer (before any intervention
 *                       at that layer), the last layer's output before the final norm, and the final
 *                       norm's output
 * @param lastK          residuals only for each sequence's last k positions; 0 means all
 * @param lastLogitsOnly logits of the last position only (what generation and scoring of a next
 *                       token need; saves the [T, vocab] head product)
 */
public record Capture(boolean residuals, int lastK, boolean lastLogitsOnly) {

    public Capture {
        if (lastK < 0) throw RuntimeFailure.badRequest("lastK must be >= 0, got " + lastK);
    }

    public static Capture logits() { return new Capture(false, 0, false); }

    public static Capture lastLogits() { return new Capture(false, 0, true); }

    public static Capture everything() { return new Capture(true, 0, false); }
}
