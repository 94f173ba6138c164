package dev.tessera.testing;

import dev.tessera.tensor.DType;
import dev.tessera.tensor.F32Matrix;
import dev.tessera.tensor.Matrix;
import dev.tessera.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

/** Small helpers to build weights in memory for unit tests. */
public final class TestTensors {
    private TestTensors() {}

    public static MemorySegment f32(float[] values) {
        MemorySegment seg = Arena.ofAuto().allocate((long) values.length * 4, 64);
        for (int i = 0; i < values.length; i++) {
            seg.setAtIndex(Tensor.FLOAT_LE, i, values[i]);
        }
        return seg;
    }

    public static Matrix matrix(String name, int rows, int cols, float[] rowMajor) {
        return new F32Matrix(name, rows, cols, f32(rowMajor));
    }

    public static Tensor tensor(String name, float[] values, long... shape) {
        return new Tensor(name, DType.F32, shape, f32(values));
    }

    /** The same values rounded to BF16 (round to nearest even), stored as BF16. */
    public static Tensor bf16(String name, float[] values, long... shape) {
        MemorySegment seg = Arena.ofAuto().allocate((long) values.length * 2, 64);
        for (int i = 0; i < values.length; i++) {
            int bits = Float.floatToRawIntBits(values[i]);
            int rounded = (bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16;
            seg.setAtIndex(Tensor.SHORT_LE, i, (short) rounded);
        }
        return new Tensor(name, DType.BF16, shape, seg);
    }

    public static float[] random(Random r, int n, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian() * scale;
        }
        return v;
    }

    public static float maxAbs(float[] v) {
        float m = 0;
        for (float x : v) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }

    public static float maxAbsDiff(float[] a, float[] b) {
        float m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
