package dev.ortho.cli;

import dev.ortho.core.pipeline.StepProgress;

import java.io.PrintStream;
import java.util.Locale;

/** A one-line progress bar for pipeline steps (prompts, candidates) on stderr; silent when stderr is not a terminal. */
final class StepBar implements StepProgress {

    private final PrintStream out;
    private final boolean enabled;
    private String name = "";
    private int total;
    private int done;
    private long start;
    private long lastDraw;

    StepBar(PrintStream out, boolean enabled) {
        this.out = out;
        this.enabled = enabled;
    }

    static StepBar forTerminal(boolean wanted) {
        java.io.Console c = System.console();
        return new StepBar(System.err, wanted && c != null && c.isTerminal());
    }

    @Override
    public void begin(String name, int total) {
        this.name = name;
        this.total = total;
        this.done = 0;
        this.start = System.nanoTime();
        draw(true);
    }

    @Override
    public void advance(int units) {
        done += units;
        draw(false);
    }

    @Override
    public void end() {
        if (!enabled) return;
        out.print("\r\033[K");
        out.flush();
    }

    private void draw(boolean force) {
        if (!enabled) return;
        long now = System.nanoTime();
        if (!force && now - lastDraw < 100_000_000L) return;
        lastDraw = now;
        double frac = total == 0 ? 1 : Math.min(1, (double) done / total);
        int width = 24, filled = (int) Math.round(frac * width);
        out.printf(Locale.ROOT, "\r\033[K%-28s [%s%s] %d/%d  %.1f s", name, "#".repeat(filled), ".".repeat(width - filled), done, total,
                (now - start) / 1e9);
        out.flush();
    }
}
