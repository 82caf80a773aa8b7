package dev.ortho.cli;

import dev.ortho.core.edit.AblationRequest;
import dev.ortho.core.edit.CheckpointEditor;
import dev.ortho.core.edit.EditOptions;
import dev.ortho.core.edit.PartAssembler;
import dev.ortho.core.edit.ProgressListener;
import dev.ortho.core.edit.ShardGroup;
import dev.ortho.core.verify.Verifier;
import dev.ortho.core.verify.VerifyReport;
import dev.ortho.fixtures.LargeCheckpoint;
import dev.ortho.formats.checkpoint.CheckpointWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Runs {@code ortho ablate} and {@code ortho assemble} in a child JVM and kills it with SIGKILL at
 * seeded random moments. After every kill: the output path holds nothing, or a complete output
 * that verifies; the input files hash as before; a rerun succeeds; and leftovers are recognised as
 * temporary (the rerun or {@code ortho clean} removes them).
 */
class CrashSafetyTest {

    static final int ABLATE_TRIALS = 22, ASSEMBLE_TRIALS = 8;

    @TempDir Path tmp;

    @Test
    void sigkillNeverLeavesAHalfWrittenCheckpoint() throws Exception {
        Path model = tmp.resolve("model");
        LargeCheckpoint.write(model, 8, 512, 1408, 8000, 24L << 20);
        Path direction = tmp.resolve("d.json");
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < 512; i++) sb.append(i == 0 ? "" : ",").append(Math.sin(0.1 * i));
        Files.writeString(direction, sb.append("]").toString());
        Map<String, String> before = TreeHashes.of(model);

        SplittableRandom rnd = new SplittableRandom(20261122);
        Path outs = Files.createDirectories(tmp.resolve("outs"));
        int killedMidway = 0, completed = 0;
        // Calibrate on this machine, so kills land while the output is written whatever its speed.
        String[] ablateArgs = {"ablate", model.toString(), "--direction", direction.toString(), "--threads", "1", "--no-progress"};
        long ablateWriteMs = calibrate(outs.resolve("calibrate-ablate"), ablateArgs);
        for (int trial = 0; trial < ABLATE_TRIALS; trial++) {
            Path out = outs.resolve("o" + trial);
            boolean finished = runAndKill(out, killPoint(rnd, ablateWriteMs), ablateArgs);
            if (finished) completed++;
            killedMidway += afterKill(out, model, before, finished, () -> ablateInProcess(model, direction, out));
        }

        // Parts for assemble, made once in process.
        Path parts = tmp.resolve("parts");
        for (int g = 0; g < 3; g++) {
            CheckpointEditor.ablate(new AblationRequest(model, direction.toString(), parts, false, EditOptions.defaults().withThreads(1),
                    Optional.empty(), Optional.empty(), List.of(), Optional.of(new ShardGroup(g, 3))), ProgressListener.NONE);
        }
        Map<String, String> partsBefore = TreeHashes.of(parts);
        String[] assembleArgs = {"assemble", parts.toString()};
        long assembleWriteMs = calibrate(outs.resolve("calibrate-assemble"), assembleArgs);
        for (int trial = 0; trial < ASSEMBLE_TRIALS; trial++) {
            Path out = outs.resolve("a" + trial);
            boolean finished = runAndKill(out, killPoint(rnd, assembleWriteMs), assembleArgs);
            if (finished) completed++;
            killedMidway += afterKill(out, model, before, finished,
                    () -> PartAssembler.assemble(List.of(parts), out, true, List.of()));
            assertEquals(partsBefore, TreeHashes.of(parts), "assemble must not modify its parts");
        }
        System.out.printf("crash trials: %d, killed before completion: %d (%d of them mid-write, leaving a temporary sibling), completed before the kill: %d%n",
                ABLATE_TRIALS + ASSEMBLE_TRIALS, ABLATE_TRIALS + ASSEMBLE_TRIALS - completed, killedMidway, completed);
        assertTrue(killedMidway >= 5, "too few kills landed while the output was being written");
        assertTrue(ABLATE_TRIALS + ASSEMBLE_TRIALS - completed >= 10, "too few kills landed before completion to mean anything");
        assertTrue(CheckpointWriter.staleTempDirs(outs).isEmpty(), "reruns cleaned every leftover");
    }

    /** Checks the invariants after one kill, then reruns; returns 1 if a leftover temporary directory was found. */
    private int afterKill(Path out, Path model, Map<String, String> inputHashes, boolean finished, Runnable rerun) throws Exception {
        if (Files.exists(out)) {
            VerifyReport v = Verifier.verify(out, Optional.empty(), 1);
            assertTrue(v.ok(), () -> "an output at the output path must be complete: " + v.failures());
        } else {
            assertFalse(finished, "the run reported success but left no output");
        }
        assertEquals(inputHashes, TreeHashes.of(model), "the input changed");
        List<Path> stale = CheckpointWriter.staleTempDirs(out.getParent());
        for (Path p : stale) assertTrue(p.getFileName().toString().startsWith("." + out.getFileName() + ".ortho-tmp-"), p.toString());
        if (!Files.exists(out)) rerun.run();
        assertTrue(Files.exists(out));
        VerifyReport v = Verifier.verify(out, Optional.empty(), 1);
        assertTrue(v.ok(), () -> v.failures().toString());
        return stale.isEmpty() ? 0 : 1;
    }

    private void ablateInProcess(Path model, Path direction, Path out) {
        CheckpointEditor.ablate(new AblationRequest(model, direction.toString(), out, false, EditOptions.defaults().withThreads(1),
                Optional.empty(), Optional.empty(), List.of()), ProgressListener.NONE);
    }

    /**
     * When to kill, relative to the moment the temporary output directory appears: one trial in
     * five before it (negative: that many ms after start, during start-up and planning), the rest
     * spread over the measured writing time and a little past it.
     */
    private static long killPoint(SplittableRandom rnd, long writeMs) {
        if (rnd.nextInt(5) == 0) return -(1 + rnd.nextInt(400));
        return rnd.nextLong(Math.max(2, writeMs * 11 / 10));
    }

    /** Runs once to completion; returns how long the temporary directory existed (ms). */
    private static long calibrate(Path out, String... args) throws Exception {
        Process p = start(out, args);
        long seen = waitForStaging(out, p);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), "calibration run failed");
        long ms = Math.max(10, (System.nanoTime() - seen) / 1_000_000);
        System.out.printf("calibration %s: writing took %d ms%n", args[0], ms);
        return ms;
    }

    /**
     * Starts the CLI in a child JVM and SIGKILLs it at {@code killAt} ms after its temporary output
     * directory appears (or -killAt ms after start when negative); true if it had exited 0 first.
     */
    private static boolean runAndKill(Path out, long killAt, String... args) throws Exception {
        Process p = start(out, args);
        long deadline;
        if (killAt < 0) {
            deadline = System.nanoTime() + -killAt * 1_000_000;
        } else {
            deadline = waitForStaging(out, p) + killAt * 1_000_000;
        }
        long waitMs = Math.max(0, (deadline - System.nanoTime()) / 1_000_000);
        if (p.waitFor(waitMs, TimeUnit.MILLISECONDS)) {
            assertEquals(0, p.exitValue(), "the child failed on its own");
            return true;
        }
        p.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no cleanup
        p.waitFor();
        return p.exitValue() == 0;
    }

    private static Process start(Path out, String... args) throws Exception {
        List<String> cmd = ChildCli.command(List.of("-Xshare:auto"));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--out", out.toString()));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    /** Polls until a temporary sibling of {@code out} exists (or the child ended); returns System.nanoTime() then. */
    private static long waitForStaging(Path out, Process p) throws Exception {
        String prefix = "." + out.getFileName() + ".ortho-tmp-";
        while (p.isAlive()) {
            try (Stream<Path> s = Files.list(out.getParent())) {
                if (s.anyMatch(f -> f.getFileName().toString().startsWith(prefix) && Files.isDirectory(f))) return System.nanoTime();
            }
            Thread.sleep(2);
        }
        return System.nanoTime();
    }
}
