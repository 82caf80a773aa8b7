package dev.ortho.bench;

import dev.ortho.formats.safetensors.DType;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

/**
 * The bandwidth yardstick for {@link ProjectionBenchmark}: the same bytes copied into the same
 * reused 64 MiB buffer in 8 MiB chunks, with no arithmetic.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx6g"})
public class MemcpyBenchmark {

    @Param({"4096x4096/COLUMNS", "4096x4096/ROWS", "4096x11008/COLUMNS", "11008x4096/ROWS", "151936x4096/ROWS"})
    public String tensor;

    @Param({"BF16", "F16", "F32"})
    public String dtype;

    private Arena arena;
    private MemorySegment in;
    private MemorySegment sinkBuffer;

    @Setup(Level.Trial)
    public void setUp() {
        Case c = Case.parse(tensor);
        arena = Arena.ofShared();
        in = Case.fill(arena, c.shape()[0] * c.shape()[1], DType.valueOf(dtype));
        sinkBuffer = arena.allocate(64L << 20, 64);
    }

    @Benchmark
    public long memcpy() {
        long chunk = 8L << 20;
        for (long off = 0; off < in.byteSize(); off += chunk) {
            long n = Math.min(chunk, in.byteSize() - off);
            MemorySegment.copy(in, off, sinkBuffer, 0, n);
        }
        return in.byteSize();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }
}
