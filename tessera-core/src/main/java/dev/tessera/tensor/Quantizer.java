package dev.tessera.tensor;

import dev.tessera.TesseraException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.stream.IntStream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Symmetric absmax quantization per block of 32 consecutive columns of a row. The rule (the reference
 * {@link #quantizeRowReference} is its specification, and {@link #quantizeRow} must produce identical bytes):
 * <pre>
 *   s = max|w| / Q            (fp32; Q = 127 for int8, 7 for int4; the last block of a row may be shorter)
 *   q = clamp(rint(w / s), −Q, Q)   (a float division, round half to even)
 *   s == 0 → the block stores zeros
 *   stored scale = fp16(s)    (Float.floatToFloat16: round to nearest even)
 * </pre>
 * Dequantized weight = {@code q × fp16(s)}. Clipping is never applied. Non-finite weights are rejected: a checkpoint
 * holding inf/NaN is broken, and quantizing it would silently turn whole blocks to garbage.
 */
public final class Quantizer {
    private Quantizer() {}

    public static final int BLOCK = QuantKernels.BLOCK;

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.length() > 16
            ? FloatVector.SPECIES_512 : FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final boolean SIMD = BLOCK % L == 0;
    /** 1.5·2^23: adding then subtracting it rounds |v| < 2^22 to an integer, half to even, exactly as Math.rint. */
    private static final float ROUND_MAGIC = 0x1.8p23f;

    /** Largest magnitude of a quantized value: 127 for 8 bits, 7 for 4 bits. */
    public static int levels(int bits) {
        return switch (bits) {
            case 8 -> 127;
            case 4 -> 7;
            default -> throw new IllegalArgumentException("quantization is 8 or 4 bits, not " + bits);
        };
    }

    /** Bytes of one row's quantized values: cols (int8) or ceil(cols/2) (int4). */
    public static long rowBytes(int bits, int cols) {
        return bits == 8 ? cols : (cols + 1) / 2;
    }

    public static int scalesPerRow(int cols) {
        return QuantKernels.scalesPerRow(cols);
    }

    /**
     * The specification: quantizes {@code w[off .. off+cols)} into {@code q[qOff ..]} (int8 values, or int4 packed
     * as {@code q+8} with the even column in the low nibble) and {@code scales[sOff ..]} (fp16 bits).
     */
    public static void quantizeRowReference(float[] w, int off, int cols, int bits, byte[] q, int qOff, short[] scales, int sOff) {
        int levels = levels(bits);
        int[] values = new int[cols];
        for (int b = 0; b * BLOCK < cols; b++) {
            int from = b * BLOCK;
            int to = Math.min(cols, from + BLOCK);
            float max = 0;
            for (int c = from; c < to; c++) {
                max = Math.max(max, Math.abs(w[off + c]));
            }
            checkFinite(max, from);
            float s = max / levels;
            scales[sOff + b] = Float.floatToFloat16(s);
            for (int c = from; c < to; c++) {
                values[c] = s == 0 ? 0 : (int) Math.max(-levels, Math.min(levels, Math.rint(w[off + c] / s)));
            }
        }
        pack(values, 0, cols, bits, q, qOff);
    }

    /** Same bytes as {@link #quantizeRowReference}, with the Vector API on whole blocks. */
    public static void quantizeRow(float[] w, int off, int cols, int bits, byte[] q, int qOff, short[] scales, int sOff) {
        int levels = levels(bits);
        float[] values = new float[BLOCK];
        int[] ints = new int[cols];
        for (int b = 0; b * BLOCK < cols; b++) {
            int from = b * BLOCK;
            int len = Math.min(BLOCK, cols - from);
            int base = off + from;
            float max;
            if (SIMD && len == BLOCK) {
                FloatVector m = FloatVector.zero(F);
                for (int v = 0; v < BLOCK; v += L) {
                    m = m.max(FloatVector.fromArray(F, w, base + v).abs());
                }
                max = m.reduceLanes(VectorOperators.MAX);
            } else {
                max = 0;
                for (int c = 0; c < len; c++) {
                    max = Math.max(max, Math.abs(w[base + c]));
                }
            }
            checkFinite(max, from);
            float s = max / levels;
            scales[sOff + b] = Float.floatToFloat16(s);
            if (s == 0) {
                for (int c = 0; c < len; c++) {
                    ints[from + c] = 0;
                }
                continue;
            }
            if (SIMD && len == BLOCK) {
                for (int v = 0; v < BLOCK; v += L) {
                    FloatVector x = FloatVector.fromArray(F, w, base + v).div(s);
                    x.add(ROUND_MAGIC).sub(ROUND_MAGIC).max(-levels).min(levels).intoArray(values, v);
                }
                for (int c = 0; c < BLOCK; c++) {
                    ints[from + c] = (int) values[c];
                }
            } else {
                for (int c = 0; c < len; c++) {
                    ints[from + c] = (int) Math.max(-levels, Math.min(levels, Math.rint(w[base + c] / s)));
                }
            }
        }
        pack(ints, 0, cols, bits, q, qOff);
    }

    private static void checkFinite(float max, int col) {
        if (!Float.isFinite(max)) {
            throw new TesseraException.InvalidInput("cannot quantize: the block at column " + col
                    + " holds a non-finite weight (inf or NaN); the source checkpoint is damaged");
        }
    }

    private static void pack(int[] values, int from, int cols, int bits, byte[] q, int qOff) {
        if (bits == 8) {
            for (int c = 0; c < cols; c++) {
                q[qOff + c] = (byte) values[from + c];
            }
            return;
        }
        for (int j = 0; 2 * j < cols; j++) {
            int lo = values[from + 2 * j] + 8;
            int hi = 2 * j + 1 < cols ? values[from + 2 * j + 1] + 8 : 8;
            q[qOff + j] = (byte) (lo | (hi << 4));
        }
    }

    /**
     * Quantizes rows {@code [rowFrom, rowTo)} of {@code src} (fp32 rows) into {@code q} (rowBytes per row, from index
     * 0) and {@code scales} (scalesPerRow per row, from index 0), rows in parallel.
     */
    public static void quantizeRows(RowSource src, int cols, int bits, int rowFrom, int rowTo, byte[] q, short[] scales) {
        int rb = Math.toIntExact(rowBytes(bits, cols));
        int spr = scalesPerRow(cols);
        int chunk = Math.max(1, (rowTo - rowFrom) / (4 * Runtime.getRuntime().availableProcessors()));
        int pieces = (rowTo - rowFrom + chunk - 1) / chunk;
        IntStream.range(0, pieces).parallel().forEach(k -> {
            float[] row = new float[cols];
            int to = Math.min(rowTo, rowFrom + (k + 1) * chunk);
            for (int r = rowFrom + k * chunk; r < to; r++) {
                src.row(r, row);
                int i = r - rowFrom;
                quantizeRow(row, 0, cols, bits, q, i * rb, scales, i * spr);
            }
        });
    }

    /**
     * The whole matrix quantized into off-heap planes owned by {@code arena} (filled from several threads, so it must
     * be a shared or global arena): a {@link Q8Matrix} or {@link Q4Matrix}.
     */
    public static Matrix quantize(Matrix src, int bits, String name, Arena arena) {
        return quantize(src.rows(), src.cols(), bits, name, arena, (r, row) -> src.row(r, row, 0));
    }

    /** A source of fp32 rows (synthetic weights generate them on demand instead of storing a 16-bit copy). */
    @FunctionalInterface
    public interface RowSource {
        void row(int r, float[] dst);
    }

    public static Matrix quantize(int rows, int cols, int bits, String name, Arena arena, RowSource rowsOf) {
        long rb = rowBytes(bits, cols);
        int spr = scalesPerRow(cols);
        MemorySegment q = NativeMemory.allocate(rows * rb, arena).asSlice(0, rows * rb);
        MemorySegment s = NativeMemory.allocate((long) rows * spr * 2, arena).asSlice(0, (long) rows * spr * 2);
        int chunk = 64;
        IntStream.range(0, (rows + chunk - 1) / chunk).parallel().forEach(k -> {
            int from = k * chunk;
            int to = Math.min(rows, from + chunk);
            float[] row = new float[cols];
            byte[] qb = new byte[(int) rb];
            short[] sb = new short[spr];
            for (int r = from; r < to; r++) {
                rowsOf.row(r, row);
                quantizeRow(row, 0, cols, bits, qb, 0, sb, 0);
                MemorySegment.copy(qb, 0, q, ValueLayout.JAVA_BYTE, r * rb, qb.length);
                MemorySegment.copy(sb, 0, s, Tensor.SHORT_LE, (long) r * spr * 2, spr);
            }
        });
        return bits == 8 ? new Q8Matrix(name, rows, cols, q, s) : new Q4Matrix(name, rows, cols, q, s);
    }

    /** The dequantized matrix as F32 (tests and the fp32-on-dequantized-weights reference path). */
    public static F32Matrix dequantize(Matrix quantized, Arena arena) {
        int rows = quantized.rows();
        int cols = quantized.cols();
        MemorySegment seg = NativeMemory.allocate((long) rows * cols * 4, arena).asSlice(0, (long) rows * cols * 4);
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            quantized.row(r, row, 0);
            MemorySegment.copy(row, 0, seg, Tensor.FLOAT_LE, (long) r * cols * 4, cols);
        }
        return new F32Matrix(quantized.name(), rows, cols, seg);
    }
}
