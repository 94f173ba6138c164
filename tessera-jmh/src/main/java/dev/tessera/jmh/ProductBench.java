package dev.tessera.jmh;

import dev.tessera.tensor.Compute;
import dev.tessera.tensor.Matrix;
import java.lang.foreign.Arena;
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
 * What every weight-product benchmark shares: a random matrix of {@link #shape()} built by the subclass in its
 * format, a pool of {@link #threads} threads, {@link #tokens()} random input vectors, and the timed
 * {@code Compute.matmul} over all rows.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:ObjectAlignmentInBytes=64"})
public abstract class ProductBench {
    /** Every weight benchmark runs on one core and on two. */
    @Param({"1", "2"})
    public int threads;

    Arena arena;
    Matrix w;
    Compute compute;
    float[] x;
    float[] out;

    /** "rows x cols". */
    abstract String shape();

    abstract int tokens();

    /** The matrix under test, its memory from {@code arena}, filled from {@code random}. */
    abstract Matrix build(int rows, int cols, Arena arena, SplittableRandom random);

    @Setup(Level.Trial)
    public void setup() {
        String[] rc = shape().split("x");
        int rows = Integer.parseInt(rc[0]);
        int cols = Integer.parseInt(rc[1]);
        arena = Arena.ofShared();
        SplittableRandom r = new SplittableRandom(1);
        w = build(rows, cols, arena, r);
        compute = new Compute(threads);
        x = new float[cols * tokens()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextDouble(-1, 1);
        }
        out = new float[rows * tokens()];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        compute.close();
        arena.close();
    }

    @Benchmark
    public float product() {
        compute.matmul(w, x, 0, w.cols(), tokens(), out, 0, w.rows());
        return out[0];
    }
}
