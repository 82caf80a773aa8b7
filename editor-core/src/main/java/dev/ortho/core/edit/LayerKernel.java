package dev.ortho.core.edit;

import dev.ortho.formats.InvalidInputException;

/**
 * Heretic's per-component strength profile over layers: weight {@code max} at layer {@code peak},
 * falling linearly to {@code min} at distance {@code distance}, 0 beyond:
 * w(l) = max + (min − max)·|l − peak| / distance for |l − peak| ≤ distance, else 0.
 *
 * @param peak     layer of the peak (may be fractional)
 * @param max      weight at the peak
 * @param min      weight at distance {@code distance}
 * @param distance half-width in layers; 0 means the peak layer only
 */
public record LayerKernel(double peak, double max, double min, double distance) {

    public LayerKernel {
        if (!Double.isFinite(peak) || !Double.isFinite(max) || !Double.isFinite(min) || !Double.isFinite(distance)) {
            throw new InvalidInputException("--layer-kernel: every value must be finite");
        }
        if (distance < 0) throw new InvalidInputException("--layer-kernel: distance must be >= 0, got " + distance);
    }

    /** The weight of layer {@code l}. */
    public double weight(int l) {
        double d = Math.abs(l - peak);
        if (d > distance) return 0;
        if (distance == 0) return max;
        return max + (min - max) * d / distance;
    }

    /** Parses {@code PEAK:MAX:MIN:DIST}. */
    public static LayerKernel parse(String text, String component) {
        String[] p = text.strip().split(":");
        if (p.length != 4) {
            throw new InvalidInputException("--layer-kernel " + component + "='" + text + "' must be PEAK:MAX:MIN:DIST");
        }
        try {
            return new LayerKernel(Double.parseDouble(p[0]), Double.parseDouble(p[1]), Double.parseDouble(p[2]),
                    Double.parseDouble(p[3]));
        } catch (NumberFormatException e) {
            throw new InvalidInputException("--layer-kernel " + component + "='" + text + "': not a number (" + e.getMessage() + ")");
        }
    }
}
