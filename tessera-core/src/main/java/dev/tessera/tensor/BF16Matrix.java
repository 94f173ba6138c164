package dev.tessera.tensor;

import java.lang.foreign.MemorySegment;

/** A BF16 weight matrix over (mapped) memory; kernels widen exactly and accumulate in fp32. */
public record BF16Matrix(String name, int rows, int cols, MemorySegment data) implements Matrix {
    public BF16Matrix {
        FloatMatrices.checkSize(name, rows, cols, data, 2);
    }

    @Override
    public String format() {
        return "BF16";
    }

    @Override
    public long byteSize() {
        return data.byteSize();
    }

    @Override
    public void matvec(float[] x, int xOff, float[] out, int outOff, int rowFrom, int rowTo) {
        Kernels.matmulBF16(data, cols, x, xOff, cols, 1, out, outOff, rows, rowFrom, rowTo);
    }

    @Override
    public void matmul(float[] x, int xOff, int xStride, int n, float[] out, int outOff, int outStride, int rowFrom, int rowTo) {
        Kernels.matmulBF16(data, cols, x, xOff, xStride, n, out, outOff, outStride, rowFrom, rowTo);
    }

    @Override
    public void row(int r, float[] dst, int dstOff) {
        Kernels.widenBF16(data, (long) r * cols * 2, dst, dstOff, cols);
    }
}
