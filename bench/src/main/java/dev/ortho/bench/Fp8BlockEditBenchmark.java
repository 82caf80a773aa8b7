package dev.ortho.bench;

import dev.ortho.core.edit.ProjectionLayout;
import dev.ortho.core.edit.quant.Fp8BlockEdit;
import dev.ortho.core.edit.quant.Fp8BlockScheme;
import dev.ortho.core.edit.quant.Fp8Format;
import dev.ortho.core.edit.quant.Parallel;
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
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * One block-FP8 writer edited end to end (dequantize, float64 edit, requantize with 128×128 block
 * scales, or BF16): elements per second is the figure to compare with {@link ProjectionBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx4g"})
public class Fp8BlockEditBenchmark {

    @Param({"4096x4096/COLUMNS", "4096x11008/COLUMNS"})
    public String tensor;

    @Param({"REQUANTIZE", "DEQUANTIZE_BF16"})
    public String output;

    @Param({"1", "2"})
    public int threads;

    private Parallel parallel;

    private Arena arena;
    private MemorySegment weight, scale;
    private long[] shape;
    private ProjectionLayout layout;
    private double[] r;
    private Fp8BlockScheme scheme;

    @Setup(Level.Trial)
    public void setUp() {
        Case c = Case.parse(tensor);
        shape = c.shape();
        layout = c.layout();
        arena = Arena.ofShared();
        scheme = new Fp8BlockScheme(Fp8Format.E4M3, 128, 128);
        SplittableRandom rnd = new SplittableRandom(1);
        weight = arena.allocate(shape[0] * shape[1]);
        for (long i = 0; i < weight.byteSize(); i++) {
            weight.set(ValueLayout.JAVA_BYTE, i, Fp8Format.E4M3.encode(rnd.nextGaussian() * 100));
        }
        long[] s = scheme.scaleShape(shape[0], shape[1]);
        scale = arena.allocate(s[0] * s[1] * 4);
        for (long i = 0; i < s[0] * s[1]; i++) {
            scale.set(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4 * i, 1e-3f);
        }
        r = Case.direction(4096);
        parallel = new Parallel(threads);
    }

    @Benchmark
    public long edit() {
        try (Arena out = Arena.ofShared()) {
            return Fp8BlockEdit.edit(weight, scale, DType.F32, shape, scheme, layout, r, 1.0,
                    Fp8BlockEdit.Output.valueOf(output), VectorOpsProvider.get(), out, parallel).weight().byteSize();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
        parallel.close();
    }
}
