package dev.tessera.tensor;

import java.lang.foreign.MemorySegment;

/**
 * A weight matrix quantized to int8 per block of 32 consecutive columns: {@code q} is I8 {@code [rows, cols]},
 * {@code scales} is F16 {@code [rows, ceil(cols/32)]}; element {@code (r, c)} is {@code q[r][c] × scales[r][c/32]}.
 * The two planes are separate so SIMD loads of each stay contiguous; both are views (usually of a mapped bundle).
 */
public record Q8Matrix(String name, int rows, int cols, MemorySegment q, MemorySegment scales) implements Matrix {
    public Q8Matrix {
        QuantMatrices.checkPlanes(name, rows, cols, (long) rows * cols, q, scales);
    }

    @Override
    public String format() {
        return "Q8_32";
    }

    @Override
    public long byteSize() {
        return q.byteSize() + scales.byteSize();
    }

    @Override
    public void matvec(float[] x, int xOff, float[] out, int outOff, int rowFrom, int rowTo) {
        QuantKernels.matmulQ8(q, scales, cols, x, xOff, cols, 1, out, outOff, rows, rowFrom, rowTo);
    }

    @Override
    public void matmul(float[] x, int xOff, int xStride, int n, float[] out, int outOff, int outStride, int rowFrom, int rowTo) {
        QuantKernels.matmulQ8(q, scales, cols, x, xOff, xStride, n, out, outOff, outStride, rowFrom, rowTo);
    }

    @Override
    public void row(int r, float[] dst, int dstOff) {
        QuantKernels.row(QuantKernels.KIND_Q8, q, scales, cols, r, dst, dstOff);
    }
}
