package dev.ortho.cli;

import dev.ortho.core.edit.ProgressListener;

import java.io.PrintStream;

/**
 * A one-line progress bar on stderr (bytes, tensors, throughput), redrawn at most ten times a
 * second. Silent when stderr is not a terminal, so logs and CI output stay clean.
 */
final class ProgressBar implements ProgressListener {

    private final PrintStream out;
    private final boolean enabled;
    private long totalBytes;
    private int totalTensors;
    private long doneBytes;
    private int doneTensors;
    private String current = "";
    private long startNanos;
    private long lastDraw;

    ProgressBar(PrintStream out, boolean enabled) {
        this.out = out;
        this.enabled = enabled;
    }

    static ProgressBar forTerminal(boolean wanted) {
        java.io.Console c = System.console();
        return new ProgressBar(System.err, wanted && c != null && c.isTerminal());
    }

    @Override
    public void started(long totalBytes, int totalTensors) {
        this.totalBytes = totalBytes;
        this.totalTensors = totalTensors;
        this.startNanos = System.nanoTime();
    }

    @Override
    public void tensorStarted(String name, long bytes) {
        current = name;
        draw(false);
    }

    @Override
    public void advanced(long bytes) {
        doneBytes += bytes;
        draw(false);
    }

    @Override
    public void tensorDone(String name) {
        doneTensors++;
        draw(doneTensors == totalTensors);
        if (enabled && doneTensors == totalTensors) out.print("\r\033[K");
    }

    private void draw(boolean force) {
        if (!enabled) return;
        long now = System.nanoTime();
        if (!force && now - lastDraw < 100_000_000L) return;
        lastDraw = now;
        double frac = totalBytes == 0 ? 1 : (double) doneBytes / totalBytes;
        int width = 24, filled = (int) Math.round(frac * width);
        double secs = Math.max(1e-9, (now - startNanos) / 1e9);
        String name = current.length() > 48 ? "…" + current.substring(current.length() - 47) : current;
        out.printf("\r\033[K[%s%s] %3.0f%% %s/%s  %d/%d tensors  %s/s  %s",
                "#".repeat(filled), ".".repeat(width - filled), frac * 100, Units.bytes(doneBytes), Units.bytes(totalBytes),
                doneTensors, totalTensors, Units.bytes((long) (doneBytes / secs)), name);
        out.flush();
    }
}
