package dev.tessera.jmh;

import dev.tessera.tensor.Matrix;
import dev.tessera.tensor.NativeMemory;
import dev.tessera.tensor.Q4Matrix;
import dev.tessera.tensor.Q8Matrix;
import dev.tessera.tensor.Quantizer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.openjdk.jmh.annotations.Param;

/**
 * Block-32 int8 / int4 weight kernels at Nanbeige4.1-3B shapes: decode matvec (tokens = 1) and a 128-token
 * prefill (int8 runs it on dequantized panels, {@code PanelGemm}; GFLOP/s = 2 × rows × cols × tokens ÷ time), 1 and
 * 2 threads; {@code -p tokens=1} for decode alone. Weight GB/s = {@link Matrix#byteSize} (values + fp16 scales) ÷ time; the setup
 * prints the byte size. Matrices smaller than the last-level cache (all but the 166144×2560 head on most machines)
 * measure cache, not DRAM, bandwidth: the head is the realistic decode number. Run:
 * {@code java --add-modules jdk.incubator.vector -jar tessera-jmh/target/tessera-benchmarks.jar QuantMatvecBench}.
 */
public class QuantMatvecBench extends ProductBench {
    /** rows x cols: q/o (2560x2560), gate/up (10496x2560), down (2560x10496), the untied 166k head (166144x2560). */
    @Param({"2560x2560", "10496x2560", "2560x10496", "166144x2560"})
    public String shape;

    @Param({"Q8", "Q4"})
    public String format;

    @Param({"1", "128"})
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
        int bits = format.equals("Q8") ? 8 : 4;
        long qBytes = rows * Quantizer.rowBytes(bits, cols);
        long sCount = (long) rows * Quantizer.scalesPerRow(cols);
        MemorySegment q = NativeMemory.allocate(qBytes, arena).asSlice(0, qBytes);
        MemorySegment s = NativeMemory.allocate(sCount * 2, arena).asSlice(0, sCount * 2);
        for (long i = 0; i + 8 <= qBytes; i += 8) {
            long v = r.nextLong();
            // int8: keep values in -127..127 (0x80 is never produced by the quantizer); int4: any nibble is valid.
            q.set(ValueLayout.JAVA_LONG_UNALIGNED, i, bits == 8 ? v & 0x7F7F7F7F7F7F7F7FL ^ 0x4040404040404040L : v);
        }
        for (long i = 0; i < sCount; i++) {
            s.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16((float) (1e-3 * (1 + r.nextDouble()))));
        }
        // Int8 in the tiled layout models run on (Q8Matrix); int4 stays row-major.
        Matrix m = bits == 8 ? new Q8Matrix("w", rows, cols, q, s).tiledInPlace() : new Q4Matrix("w", rows, cols, q, s);
        System.out.printf("%n[QuantMatvecBench] %s %s: %d bytes%n", format, shape, m.byteSize());
        return m;
    }
}
