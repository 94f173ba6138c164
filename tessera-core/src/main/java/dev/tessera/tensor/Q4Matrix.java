package dev.tessera.tensor;

import java.lang.foreign.MemorySegment;

/**
 * A weight matrix quantized to int4 per block of 32 consecutive columns: {@code q} is U8 {@code [rows, ceil(cols/2)]}
 * holding {@code q + 8} (0..15; q in −7..7) with column {@code 2j} in the low nibble and {@code 2j+1} in the high
 * nibble of byte j (an odd last column leaves the high nibble at 8, i.e. zero); {@code scales} is F16
 * {@code [rows, ceil(cols/32)]}. Element {@code (r, c)} is {@code q[r][c] × scales[r][c/32]}.
 */
public record Q4Matrix(String name, int rows, int cols, MemorySegment q, MemorySegment scales) implements Matrix {
    public Q4Matrix {
        QuantMatrices.checkPlanes(name, rows, cols, (long) rows * ((cols + 1) / 2), q, scales);
    }

    @Override
    public String format() {
        return "Q4_32";
    }

    @Override
    public long byteSize() {
        return q.byteSize() + scales.byteSize();
    }

    @Override
    public void matvec(float[] x, int xOff, float[] out, int outOff, int rowFrom, int rowTo) {
        QuantKernels.matmulQ4(q, scales, cols, x, xOff, cols, 1, out, outOff, rows, rowFrom, rowTo);
    }

    @Override
    public void matmul(float[] x, int xOff, int xStride, int n, float[] out, int outOff, int outStride, int rowFrom, int rowTo) {
        QuantKernels.matmulQ4(q, scales, cols, x, xOff, xStride, n, out, outOff, outStride, rowFrom, rowTo);
    }

    @Override
    public void row(int r, float[] dst, int dstOff) {
        QuantKernels.row(QuantKernels.KIND_Q4, q, scales, cols, r, dst, dstOff);
    }
}
