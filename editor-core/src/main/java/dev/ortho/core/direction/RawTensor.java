package dev.ortho.core.direction;

import dev.ortho.formats.safetensors.DType;

import java.nio.file.Path;

/**
 * A tensor read from a direction file, widened exactly to double, in C order.
 *
 * @param source      the file
 * @param name        the tensor's name inside it, or null for single-array formats
 * @param storedDtype the element type in the file
 * @param shape       dimensions
 * @param values      elements in C order
 */
public record RawTensor(Path source, String name, DType storedDtype, long[] shape, double[] values) {}
