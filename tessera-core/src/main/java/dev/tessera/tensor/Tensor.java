package dev.tessera.tensor;

import dev.tessera.TesseraException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A typed, shaped view over bytes (usually a memory-mapped file). Never copies the data; the widening helpers
 * produce fp32 copies only for small tensors (norm weights, biases, per-head scalars).
 */
public record Tensor(String name, DType dtype, long[] shape, MemorySegment data) {
    public static final ValueLayout.OfShort SHORT_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfFloat FLOAT_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfDouble DOUBLE_LE =
            ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public Tensor {
        long expected = numel(shape) * dtype.bytes();
        if (data.byteSize() != expected) {
            throw new TesseraException.InvalidInput("tensor '" + name + "': " + dtype + " " + Arrays.toString(shape)
                    + " needs " + expected + " bytes but has " + data.byteSize());
        }
    }

    public static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public long numel() {
        return numel(shape);
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int i) {
        return Math.toIntExact(shape[i]);
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }

    /** Element i widened exactly to fp32 (integers are converted). */
    public float getFloat(long i) {
        return switch (dtype) {
            case F32 -> data.getAtIndex(FLOAT_LE, i);
            case BF16 -> Float.intBitsToFloat((data.getAtIndex(SHORT_LE, i) & 0xFFFF) << 16);
            case F16 -> Float.float16ToFloat(data.getAtIndex(SHORT_LE, i));
            case F64 -> (float) data.getAtIndex(DOUBLE_LE, i);
            case I64 -> data.getAtIndex(LONG_LE, i);
            case I32 -> data.getAtIndex(INT_LE, i);
            case I16 -> data.getAtIndex(SHORT_LE, i);
            case I8 -> data.get(ValueLayout.JAVA_BYTE, i);
            case U8, BOOL -> data.get(ValueLayout.JAVA_BYTE, i) & 0xFF;
        };
    }

    /** The whole tensor widened to fp32 (a copy: use for small tensors only). */
    public float[] toFloatArray() {
        long n = numel();
        if (n > Integer.MAX_VALUE - 8) {
            throw new TesseraException("tensor '" + name + "' is too large to copy into an array: " + n);
        }
        float[] out = new float[(int) n];
        for (int i = 0; i < out.length; i++) {
            out[i] = getFloat(i);
        }
        return out;
    }

    public long[] toLongArray() {
        long n = numel();
        long[] out = new long[Math.toIntExact(n)];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (dtype) {
                case I64 -> data.getAtIndex(LONG_LE, i);
                case I32 -> data.getAtIndex(INT_LE, i);
                default -> (long) getFloat(i);
            };
        }
        return out;
    }

    /** A 2-D view as a weight matrix (rows = out features, cols = in features). */
    public Matrix asMatrix() {
        if (rank() != 2) {
            throw new TesseraException.InvalidInput("tensor '" + name + "' should be 2-D but has shape " + shapeString());
        }
        int rows = dim(0);
        int cols = dim(1);
        return switch (dtype) {
            case F32 -> new F32Matrix(name, rows, cols, data);
            case BF16 -> new BF16Matrix(name, rows, cols, data);
            case F16 -> new F16Matrix(name, rows, cols, data);
            default -> throw new TesseraException.Unsupported(
                    "tensor '" + name + "' has dtype " + dtype + ", which cannot be used as a weight matrix");
        };
    }
}
