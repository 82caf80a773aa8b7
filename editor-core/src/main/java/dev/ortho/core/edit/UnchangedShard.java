package dev.ortho.core.edit;

import dev.ortho.formats.OrthoIoException;
import dev.ortho.formats.safetensors.SafetensorsFile;
import dev.ortho.formats.safetensors.SafetensorsWriter;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * Decides whether a shard's output will be its input byte for byte, so that it can be copied whole
 * and take the input's SHA-256 as its own. Only when provable from what is known before writing:
 * the header written is the input's header byte for byte (same names, types, shapes, offsets and
 * metadata), every tensor is copied unchanged under its own name, and the input has no bytes past
 * its declared data. Anything else (an edit, a rename, an untied head, a header the encoder spells
 * differently) takes the general path, which hashes what it writes.
 */
final class UnchangedShard {

    private UnchangedShard() {}

    static boolean is(SafetensorsFile in, SafetensorsWriter out, List<PlannedTensor> plan) {
        long data = 0;
        for (PlannedTensor t : plan) {
            if (t.action() != PlannedTensor.Action.COPY || !t.outputName().equals(t.source().name())) return false;
            data += t.source().byteLength();
        }
        return in.size() == in.header().dataStart() + data && sameHeader(in, out.writtenHeader());
    }

    /** Whether {@code written} is the input's header (its length prefix included), byte for byte. */
    static boolean sameHeader(SafetensorsFile in, byte[] written) {
        long dataStart = in.header().dataStart();
        return written.length == dataStart && Arrays.equals(written, inputHeader(in, (int) dataStart));
    }

    private static byte[] inputHeader(SafetensorsFile in, int length) {
        ByteBuffer buf = ByteBuffer.allocate(length);
        try {
            while (buf.hasRemaining()) {
                if (in.channel().read(buf, buf.position()) < 0) break;
            }
        } catch (IOException e) {
            throw new OrthoIoException(in.path(), "cannot read the header", e);
        }
        return buf.array();
    }
}
