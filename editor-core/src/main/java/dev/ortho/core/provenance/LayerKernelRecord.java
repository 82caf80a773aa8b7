package dev.ortho.core.provenance;

/** One component's layer kernel as recorded: weight {@code max} at {@code peak}, {@code min} at {@code distance}, 0 beyond. */
public record LayerKernelRecord(double peak, double max, double min, double distance) {}
