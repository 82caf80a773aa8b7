package dev.ortho.bench;

import dev.ortho.core.edit.ProjectionKernel;
import dev.ortho.core.edit.ProjectionLayout;
import dev.ortho.core.edit.vectorization.VectorOps;
import dev.ortho.core.edit.vectorization.VectorOpsProvider;
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
 * The projection kernel on one tensor, input in memory, output streamed into one reused buffer
 * (what the editor's writer receives). Compare its bytes per second with {@link MemcpyBenchmark}
 * of the same case, run in the same JMH invocation.
 *
 * <p>Cases are {@code ROWSxCOLS/LAYOUT} with hidden = 4096: COLUMNS is an nn.Linear writer
 * [hidden, in]; ROWS is a Conv1D writer [in, hidden] or an embedding [vocab, hidden].
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx6g"})
public class ProjectionBenchmark {

    @Param({"4096x4096/COLUMNS", "4096x4096/ROWS", "4096x11008/COLUMNS", "11008x4096/ROWS", "151936x4096/ROWS"})
    public String tensor;

    @Param({"BF16", "F16", "F32"})
    public String dtype;

    @Param({"1", "2"})
    public int threads;

    @Param({"panama", "scalar"})
    public String arithmetic;

    private Arena arena;
    private MemorySegment in;
    private MemorySegment sinkBuffer;
    private ProjectionKernel kernel;
    private long[] shape;
    private ProjectionLayout layout;
    private double[] r;
    private DType type;

    @Setup(Level.Trial)
    public void setUp() {
        Case c = Case.parse(tensor);
        shape = c.shape();
        layout = c.layout();
        type = DType.valueOf(dtype);
        arena = Arena.ofShared();
        in = Case.fill(arena, shape[0] * shape[1], type);
        sinkBuffer = arena.allocate(64L << 20, 64);
        r = Case.direction(4096);
        VectorOps ops = arithmetic.equals("scalar") ? VectorOpsProvider.scalar() : VectorOpsProvider.panamaOrScalar();
        kernel = new ProjectionKernel(threads, ops);
    }

    @Benchmark
    public long project() {
        long[] n = {0};
        kernel.project(in, type, shape, layout, r, 1.0, chunk -> {
            MemorySegment.copy(chunk, 0, sinkBuffer, 0, chunk.byteSize());
            n[0] += chunk.byteSize();
        });
        return n[0];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        kernel.close();
        arena.close();
    }
}
