package dev.ortho.formats.safetensors;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Starts writeback of a written file range without waiting for it ({@code sync_file_range} with
 * SYNC_FILE_RANGE_WRITE, Linux). Without it the kernel lets gigabytes of dirty pages pile up and
 * the final fsync then writes them all while the CPU waits; with it, disk and computation overlap.
 * Purely a performance hint: where the call is unavailable every method is a no-op, and the one
 * fsync per file still guarantees durability.
 */
final class WritebackHint implements AutoCloseable {

    private static final int O_RDONLY = 0;
    private static final int SYNC_FILE_RANGE_WRITE = 2;
    private static final Optional<Calls> CALLS = Calls.load();

    private final int fd;

    private WritebackHint(int fd) {
        this.fd = fd;
    }

    /** A hint for {@code file}, or a no-op one when the platform lacks the call. */
    static WritebackHint open(Path file) {
        if (CALLS.isEmpty() || Boolean.getBoolean("ortho.noWritebackHint")) return new WritebackHint(-1);
        try (Arena a = Arena.ofConfined()) {
            int fd = (int) CALLS.get().open.invokeExact(a.allocateFrom(file.toString()), O_RDONLY);
            return new WritebackHint(fd);
        } catch (Throwable t) {
            return new WritebackHint(-1);
        }
    }

    /** Asks the kernel to start writing [offset, offset + length) to disk now. */
    void start(long offset, long length) {
        if (fd < 0) return;
        try {
            int ignored = (int) CALLS.get().syncFileRange.invokeExact(fd, offset, length, SYNC_FILE_RANGE_WRITE);
        } catch (Throwable t) {
            // only a hint
        }
    }

    @Override
    public void close() {
        if (fd < 0) return;
        try {
            int ignored = (int) CALLS.get().close.invokeExact(fd);
        } catch (Throwable t) {
            // only a hint
        }
    }

    private record Calls(MethodHandle open, MethodHandle syncFileRange, MethodHandle close) {
        static Optional<Calls> load() {
            try {
                if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) return Optional.empty();
                Linker l = Linker.nativeLinker();
                SymbolLookup std = l.defaultLookup();
                return Optional.of(new Calls(
                        l.downcallHandle(std.find("open").orElseThrow(),
                                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT)),
                        l.downcallHandle(std.find("sync_file_range").orElseThrow(),
                                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                                        ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT)),
                        l.downcallHandle(std.find("close").orElseThrow(),
                                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT))));
            } catch (Throwable t) {
                // No native access (e.g. --enable-native-access missing) or not Linux: no hint.
                return Optional.empty();
            }
        }
    }
}
