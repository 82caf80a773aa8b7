package dev.ortho.cli;

import dev.ortho.fixtures.LargeCheckpoint;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A real "No space left on device": {@code ortho ablate} writes onto a 16 MiB tmpfs mounted in a
 * private user and mount namespace ({@code unshare -rm}), so no privileges are needed and nothing
 * outside the test sees the mount. The run must exit 3 with a message naming the file and the
 * cause, leave nothing on the small file system (no output, no temporary directory, no lock), and
 * leave the input as it was. Skipped, with the reason, where the kernel forbids user namespaces.
 */
class DiskFullTest {

    @TempDir Path tmp;

    @Test
    void tooLittleSpaceIsRefusedBeforeWriting() throws Exception {
        String output = runOnSmallFileSystem(List.of());
        assertTrue(output.contains("not enough space: the output needs"), output);
        assertTrue(output.contains("nothing was written"), output);
    }

    @Test
    void aDiskThatFillsUpMidWriteExitsThreeAndLeavesNothingBehind() throws Exception {
        // With the up-front check off, the writes themselves hit ENOSPC part way through a shard.
        String output = runOnSmallFileSystem(List.of("-Dortho.spaceCheck=false"));
        assertTrue(output.contains("No space left on device"), output);
        assertTrue(output.contains(".safetensors"), "the message names the file being written: " + output);
    }

    /** Runs the edit onto a 16 MiB tmpfs; asserts exit 3, no stack trace, an empty file system, an intact input. */
    private String runOnSmallFileSystem(List<String> jvmFlags) throws Exception {
        Path model = tmp.resolve("model");
        LargeCheckpoint.write(model, 4, 512, 1408, 8000, 24L << 20); // ~40 MB: more than the 16 MiB file system
        Path direction = tmp.resolve("d.json");
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < 512; i++) sb.append(i == 0 ? "" : ",").append(Math.sin(0.3 * i));
        Files.writeString(direction, sb.append("]").toString());
        Map<String, String> before = TreeHashes.of(model);
        Path mnt = Files.createDirectories(tmp.resolve("small-fs"));

        List<String> cmd = new ArrayList<>(List.of("unshare", "-rm", "sh", "-c",
                "mount -t tmpfs -o size=16m tmpfs \"$0\" || exit 97; \"$@\"; rc=$?; echo \"LEFT:[$(ls -A \"$0\" | tr '\\n' ' ')]\"; exit $rc",
                mnt.toString()));
        cmd.addAll(ChildCli.command(jvmFlags));
        cmd.addAll(List.of(
                "ablate", model.toString(), "--direction", direction.toString(), "--out", mnt.resolve("out").toString(),
                "--no-progress"));
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            Assumptions.abort("unshare is not installed: " + e.getMessage());
            return "";
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        int rc = p.exitValue();
        Assumptions.assumeFalse(rc == 97 || output.contains("unshare: "),
                "cannot mount a private tmpfs here (user namespaces disabled?): " + output);

        assertEquals(3, rc, output);
        assertFalse(output.contains("\tat "), "no stack trace without -v: " + output);
        assertTrue(output.contains("LEFT:[]"), "the small file system must be left empty: " + output);
        assertEquals(before, TreeHashes.of(model), "the input changed");
        return output;
    }
}
