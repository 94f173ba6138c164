package dev.tessera.jmh;

import dev.tessera.tensor.BF16Matrix;
import dev.tessera.tensor.F16Matrix;
import dev.tessera.tensor.F32Matrix;
import dev.tessera.tensor.Matrix;
import dev.tessera.tensor.NativeMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.openjdk.jmh.annotations.Param;

/**
 * Float-format weight kernels at real layer shapes: decode matvec (n = 1) and prefill matmul (n = 32 tokens), on 1
 * and 2 threads. Weight GB/s for matvec = matrix bytes ÷ time (compare with the machine's read bandwidth); for the
 * matmul, GFLOP/s = 2·rows·cols·n ÷ time. Run: {@code java --add-modules jdk.incubator.vector -jar
 * tessera-jmh/target/tessera-benchmarks.jar MatmulBench}.
 */
public class MatmulBench extends ProductBench {
    /** rows x cols: Nanbeige q/o (2560x2560), MLP up/gate (10496x2560), down (2560x10496); Qwen3.5-0.8B qkv (6144x1024). */
    @Param({"2560x2560", "10496x2560", "2560x10496", "6144x1024"})
    public String shape;

    @Param({"BF16", "F16", "F32"})
    public String format;

    @Param({"1", "32"})
    public int tokens;

    @Override
    String shape() {
        return shape;
    }

    @Override
    int tokens() {
        return tokens;
    }

    @Override
    Matrix build(int rows, int cols, Arena arena, SplittableRandom r) {
        int eb = format.equals("F32") ? 4 : 2;
        long n = (long) rows * cols;
        MemorySegment seg = NativeMemory.allocate(n * eb, arena);
        // Values uniform in ±0.05, encoded in the format. Random bit patterns would include subnormals, and an fma on
        // a subnormal takes a microcode assist on Intel: bf16 matvec measured 2.4 GB/s on such data.
        for (long i = 0; i < n; i++) {
            float v = (float) r.nextDouble(-0.05, 0.05);
            switch (format) {
                case "F32" -> seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, v);
                case "F16" -> seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16(v));
                default -> seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) (Float.floatToRawIntBits(v) >>> 16));
            }
        }
        return switch (format) {
            case "F32" -> new F32Matrix("w", rows, cols, seg);
            case "F16" -> new F16Matrix("w", rows, cols, seg);
            default -> new BF16Matrix("w", rows, cols, seg);
        };
    }
}
