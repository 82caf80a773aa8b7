package dev.ortho.core.edit;

import dev.ortho.formats.FileDigests;
import dev.ortho.formats.OrthoIoException;
import dev.ortho.formats.safetensors.SafetensorsFile;

import java.io.IOException;
import java.security.MessageDigest;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The leading bytes an edited shard's output shares with its input, so that the output's SHA-256 can
 * start from the input's digest state there instead of hashing those bytes a second time.
 *
 * <p>SHA-256 is sequential: two files' digests share work only up to their first differing byte. A
 * shard's output equals its input from byte 0 while the header is the input's byte for byte and the
 * tensors are copied unchanged, in the input's order and at the input's offsets; the first edited
 * tensor ends it. In a Hugging Face checkpoint that prefix is often large (the first shard starts with
 * the embedding, which an attention/MLP edit leaves alone). The candidate length comes from the plan
 * before anything is written; the header comparison, which needs the encoded output header, is made
 * when the shard is opened ({@link UnchangedShard#sameHeader}).
 *
 * <p>The input hasher completes {@link #state()} with a clone of its digest after exactly
 * {@link #length()} bytes and carries on to the end of the file.
 */
final class SharedPrefix {

    private final long length;
    private final CompletableFuture<MessageDigest> state = new CompletableFuture<>();

    private SharedPrefix(long length) {
        this.length = length;
    }

    /**
     * The candidate prefix of a shard: its header and the leading run of tensors copied under their own
     * names whose input offsets are where the output will put them.
     */
    static SharedPrefix plan(SafetensorsFile in, List<PlannedTensor> tensors) {
        long dataStart = in.header().dataStart();
        long at = 0;
        for (PlannedTensor t : tensors) {
            if (t.action() != PlannedTensor.Action.COPY || !t.outputName().equals(t.source().name()) || t.source().begin() != at) break;
            at += t.source().byteLength();
        }
        return new SharedPrefix(dataStart + at);
    }

    long length() { return length; }

    CompletableFuture<MessageDigest> state() { return state; }

    /**
     * SHA-256 of the whole input file, completing {@code prefix}'s state with a copy of the digest after its
     * length (null: no prefix wanted). A failure completes the state exceptionally, so no one waits forever.
     */
    static String hashInput(SafetensorsFile in, SharedPrefix prefix) {
        MessageDigest md = FileDigests.newSha256();
        try {
            long size = in.channel().size();
            long cut = prefix == null ? 0 : Math.min(prefix.length, size);
            if (prefix != null) {
                FileDigests.update(md, in.channel(), in.path(), 0, cut);
                prefix.state.complete((MessageDigest) md.clone());
            }
            FileDigests.update(md, in.channel(), in.path(), cut, size - cut);
        } catch (IOException e) {
            OrthoIoException failure = new OrthoIoException(in.path(), "cannot read the size of a file to hash", e);
            if (prefix != null) prefix.state.completeExceptionally(failure);
            throw failure;
        } catch (CloneNotSupportedException e) {
            IllegalStateException failure = new IllegalStateException("the JDK's SHA-256 cannot be cloned", e);
            if (prefix != null) prefix.state.completeExceptionally(failure);
            throw failure;
        } catch (RuntimeException e) {
            if (prefix != null) prefix.state.completeExceptionally(e);
            throw e;
        }
        return Sha256Hex.of(md.digest());
    }
}
