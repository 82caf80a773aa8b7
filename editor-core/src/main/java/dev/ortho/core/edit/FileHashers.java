package dev.ortho.core.edit;

import dev.ortho.formats.OrthoException;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Threads that hash whole input files while the edit runs: SHA-256 of one file is sequential, but
 * files are independent, so each goes to its own core (as many threads as cores, not more).
 */
final class FileHashers {

    private FileHashers() {}

    static ExecutorService open(int files) {
        int n = Math.max(1, Math.min(files, Runtime.getRuntime().availableProcessors()));
        return Executors.newFixedThreadPool(n, r -> Thread.ofPlatform().daemon().name("ortho-input-sha256").unstarted(r));
    }

    /**
     * The future's value (a digest, or a digest state handed from the input hasher to an output hasher); its
     * failure rethrown as it was (typed Ortho exceptions keep their exit code).
     */
    static <T> T join(CompletableFuture<T> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            Throwable c = e.getCause();
            if (c instanceof OrthoException oe) throw oe;
            if (c instanceof RuntimeException re) throw re;
            if (c instanceof Error err) throw err;
            throw e;
        }
    }
}
