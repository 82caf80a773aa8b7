package dev.ortho.core.edit;

import java.lang.foreign.MemorySegment;

/** Receives the output bytes of a tensor in order, in chunks. The chunk is only valid during the call. */
@FunctionalInterface
public interface TensorSink {
    void write(MemorySegment chunk);
}
