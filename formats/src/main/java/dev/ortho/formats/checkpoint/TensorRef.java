package dev.ortho.formats.checkpoint;

import dev.ortho.formats.safetensors.SafetensorsFile;
import dev.ortho.formats.safetensors.TensorInfo;

import java.lang.foreign.MemorySegment;

/** A tensor of a checkpoint and the shard it lives in. */
public record TensorRef(SafetensorsFile file, TensorInfo info) {

    public MemorySegment data() { return file.data(info); }
}
