package dev.ortho.core.edit.quant;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;

/**
 * Runs independent numbered tasks and waits for all of them. Callers make results independent of
 * how tasks are spread (each task writes its own slot; slots are combined in task order), so the
 * output is the same for any width.
 */
public final class Parallel implements AutoCloseable {

    /** One thread, no pool. */
    public static final Parallel SEQUENTIAL = new Parallel(1);

    private final int width;
    private final ExecutorService pool;

    public Parallel(int width) {
        if (width < 1) throw new IllegalArgumentException("width must be >= 1");
        this.width = width;
        this.pool = width == 1 ? null : Executors.newFixedThreadPool(width, r -> {
            Thread t = new Thread(r, "ortho-fp8");
            t.setDaemon(true);
            return t;
        });
    }

    public int width() { return width; }

    /** Runs task(0) .. task(n − 1), concurrently when the width allows, and returns when all are done. */
    public void run(int n, IntConsumer task) {
        if (pool == null || n < 2) {
            for (int i = 0; i < n; i++) task.accept(i);
            return;
        }
        List<Callable<Void>> jobs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int k = i;
            jobs.add(() -> { task.accept(k); return null; });
        }
        try {
            for (Future<Void> f : pool.invokeAll(jobs)) f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during an FP8 edit", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) throw re;
            if (c instanceof Error err) throw err;
            throw new IllegalStateException(c);
        }
    }

    @Override
    public void close() {
        if (pool != null) pool.shutdownNow();
    }
}
