package dev.ortho.bench;

import dev.ortho.core.edit.EditBasis;
import dev.ortho.core.edit.ProjectionKernel;
import dev.ortho.core.edit.ProjectionLayout;
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
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The edit variants' kernel (issue 11 §1): k directions and/or norm preservation on one BF16 tensor,
 * against the single-direction path ({@code k=1, normPreserving=false}) in the same run. COLUMNS with
 * norm preservation reads the input three times instead of two.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx2g"})
public class SpanProjectionBenchmark {

    @Param({"4096x4096/COLUMNS", "4096x4096/ROWS"})
    public String tensor;

    @Param({"1", "2", "4"})
    public int k;

    @Param({"false", "true"})
    public boolean normPreserving;

    @Param({"1"})
    public int threads;

    private Arena arena;
    private MemorySegment in;
    private MemorySegment sinkBuffer;
    private ProjectionKernel kernel;
    private long[] shape;
    private ProjectionLayout layout;
    private List<double[]> basis;

    @Setup(Level.Trial)
    public void setUp() {
        Case c = Case.parse(tensor);
        shape = c.shape();
        layout = c.layout();
        arena = Arena.ofShared();
        in = Case.fill(arena, shape[0] * shape[1], DType.BF16);
        sinkBuffer = arena.allocate(64L << 20, 64);
        SplittableRandom rnd = new SplittableRandom(1);
        List<double[]> raw = new ArrayList<>();
        for (int j = 0; j < k; j++) raw.add(rnd.doubles(4096, -1, 1).toArray());
        basis = EditBasis.orthonormalize(raw, "benchmark");
        kernel = new ProjectionKernel(threads);
    }

    @Benchmark
    public long project() {
        long[] n = {0};
        kernel.project(in, DType.BF16, shape, layout, basis, 1.0, normPreserving, chunk -> {
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
