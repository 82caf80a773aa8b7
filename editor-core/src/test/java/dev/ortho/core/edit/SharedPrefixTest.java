package dev.ortho.core.edit;

import dev.ortho.core.provenance.EditedTensor;
import dev.ortho.core.provenance.FileDigest;
import dev.ortho.fixtures.FixtureArch;
import dev.ortho.fixtures.FixtureCheckpoints;
import dev.ortho.formats.safetensors.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.ortho.formats.safetensors.SafetensorsFile;
import dev.ortho.formats.safetensors.TensorInfo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

/**
 * An edited shard's output digest continues from the input hasher's state at the end of the bytes the
 * two files share (header and leading copied tensors). The recorded digests are checked against an
 * independent SHA-256 of the files as written.
 */
class SharedPrefixTest {

    /** Layer 1's writers only: the embedding and layer 0 come first in the sorted shard, copied unchanged. */
    private static final EditOptions LAYER1_WRITERS =
            new EditOptions(1.0, LayerSelection.parse("1"), Set.of("attn", "mlp"), TiedPolicy.UNTIE, false, 2);

    @Test
    void editedShardDigestStartsFromTheInputsStateAndIsTheFilesDigest(@TempDir Path tmp) throws Exception {
        Path model = FixtureCheckpoints.write(tmp.resolve("in"), FixtureArch.LLAMA, DType.BF16, 11, 1);
        long before = ShardPipeline.PREFIX_BYTES_REUSED.get();
        CheckpointEditor.Result r = ablate(model, tmp.resolve("a"));
        assertTrue(ShardPipeline.PREFIX_BYTES_REUSED.get() > before, "the shared prefix must be used on this shard");
        checkDigests(r);
    }

    /**
     * The same edit on an input whose header is spelled differently: the output's header differs from the
     * input's, so nothing is shared and the digest is computed from the output alone. Taking the input's state
     * without the header comparison would record a wrong digest here.
     */
    @Test
    void aRespelledHeaderSharesNothing(@TempDir Path tmp) throws Exception {
        Path model = FixtureCheckpoints.write(tmp.resolve("in"), FixtureArch.LLAMA, DType.BF16, 11, 1);
        UnchangedShardTest.respellHeader(model.resolve("model.safetensors"));
        long before = ShardPipeline.PREFIX_BYTES_REUSED.get();
        CheckpointEditor.Result r = ablate(model, tmp.resolve("b"));
        checkDigests(r);
        assertEquals(before, ShardPipeline.PREFIX_BYTES_REUSED.get());
    }

    @Test
    void theCandidatePrefixEndsAtTheFirstTensorNotCopiedInPlace(@TempDir Path tmp) throws Exception {
        Path model = FixtureCheckpoints.write(tmp.resolve("in"), FixtureArch.LLAMA, DType.BF16, 11, 1);
        try (SafetensorsFile in = SafetensorsFile.open(model.resolve("model.safetensors"))) {
            List<TensorInfo> all = in.header().tensors().stream().sorted(Comparator.comparingLong(TensorInfo::begin)).toList();
            long start = in.header().dataStart();
            // Everything copied in place: the whole data.
            assertEquals(start + all.get(all.size() - 1).end(), SharedPrefix.plan(in, plan(all, -1, false)).length());
            // The third tensor edited: the first two are shared.
            assertEquals(start + all.get(2).begin(), SharedPrefix.plan(in, plan(all, 2, false)).length());
            // The second tensor renamed: only the first is shared.
            assertEquals(start + all.get(1).begin(), SharedPrefix.plan(in, plan(all, 1, true)).length());
            // Written in another order than the input's: nothing past the header.
            List<PlannedTensor> swapped = new java.util.ArrayList<>(plan(all, -1, false));
            java.util.Collections.swap(swapped, 0, 1);
            assertEquals(start, SharedPrefix.plan(in, swapped).length());
        }
    }

    /** Every tensor copied, except {@code changed}: edited, or (with {@code rename}) copied under another name. */
    private static List<PlannedTensor> plan(List<TensorInfo> tensors, int changed, boolean rename) {
        java.util.ArrayList<PlannedTensor> out = new java.util.ArrayList<>();
        for (int i = 0; i < tensors.size(); i++) {
            TensorInfo t = tensors.get(i);
            boolean edit = i == changed && !rename;
            String name = i == changed && rename ? t.name() + ".renamed" : t.name();
            out.add(new PlannedTensor("model.safetensors", t, name, null, edit ? PlannedTensor.Action.EDIT : PlannedTensor.Action.COPY,
                    null, null));
        }
        return out;
    }

    private static void checkDigests(CheckpointEditor.Result r) throws Exception {
        Set<String> edited = r.manifest().edits().stream().map(EditedTensor::file).collect(Collectors.toSet());
        assertFalse(edited.isEmpty());
        for (FileDigest out : r.manifest().outputs()) {
            byte[] written = Files.readAllBytes(r.out().resolve(out.path()));
            String independent = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(written));
            assertEquals(independent, out.sha256(), out.path() + ": the recorded digest must be the file's");
        }
    }

    private static CheckpointEditor.Result ablate(Path model, Path tmp) throws Exception {
        Files.createDirectories(tmp);
        Path dir = FixtureEditTest.writeDirection(tmp, FixtureArch.HIDDEN, 3);
        return CheckpointEditor.ablate(new AblationRequest(model, dir.toString(), tmp.resolve("out"), false, LAYER1_WRITERS,
                Optional.empty(), Optional.empty(), List.of("test")), ProgressListener.NONE);
    }
}
