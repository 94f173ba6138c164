package dev.tessera.jmh;

import dev.tessera.tensor.BF16Matrix;
import dev.tessera.tensor.Compute;
import dev.tessera.tensor.F16Matrix;
import dev.tessera.tensor.F32Matrix;
import dev.tessera.tensor.Matrix;
import dev.tessera.tensor.NativeMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
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

/**
 * Float-format weight kernels at real layer shapes: decode matvec (n = 1) and prefill matmul (n = 32 tokens), on 1
 * and 2 threads. Weight GB/s for matvec = matrix bytes ÷ time (compare with the machine's read bandwidth); for the
 * matmul, GFLOP/s = 2·rows·cols·n ÷ time. Run: {@code java --add-modules jdk.incubator.vector -jar
 * tessera-jmh/target/tessera-benchmarks.jar MatmulBench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class MatmulBench {
    /** rows x cols: Nanbeige q/o (2560x2560), MLP up/gate (10496x2560), down (2560x10496); Qwen3.5-0.8B qkv (6144x1024). */
    @Param({"2560x2560", "10496x2560", "2560x10496", "6144x1024"})
    public String shape;

    @Param({"BF16", "F16", "F32"})
    public String format;

    @Param({"1", "2"})
    public int threads;

    @Param({"1", "32"})
    public int tokens;

    Arena arena;
    Matrix w;
    Compute compute;
    float[] x;
    float[] out;

    @Setup(Level.Trial)
    public void setup() {
        String[] rc = shape.split("x");
        int rows = Integer.parseInt(rc[0]);
        int cols = Integer.parseInt(rc[1]);
        arena = Arena.ofShared();
        int eb = format.equals("F32") ? 4 : 2;
        MemorySegment seg = NativeMemory.allocate((long) rows * cols * eb, arena);
        SplittableRandom r = new SplittableRandom(1);
        for (long i = 0; i < (long) rows * cols * eb; i += 8) {
            // Small random values whose 16-bit encodings stay finite in both BF16 and F16.
            seg.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, i, r.nextLong() & 0x3BFF3BFF3BFF3BFFL);
        }
        w = switch (format) {
            case "F32" -> new F32Matrix("w", rows, cols, seg);
            case "F16" -> new F16Matrix("w", rows, cols, seg);
            default -> new BF16Matrix("w", rows, cols, seg);
        };
        compute = new Compute(threads);
        x = new float[cols * tokens];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextDouble(-1, 1);
        }
        out = new float[rows * tokens];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        compute.close();
        arena.close();
    }

    @Benchmark
    public float product() {
        compute.matmul(w, x, 0, w.cols(), tokens, out, 0, w.rows());
        return out[0];
    }
}
