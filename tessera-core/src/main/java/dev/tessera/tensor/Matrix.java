package dev.tessera.tensor;

/**
 * A weight matrix {@code [rows, cols]} as PyTorch's {@code nn.Linear} stores it: {@code y[r] = Σ_c W[r][c]·x[c]}.
 * Implementations are views over memory (mapped files, or a load-time copy such as the tiled int8 layout) in one
 * storage format each; every kernel computes in fp32 with
 * exactly the values the format represents. Row ranges let the caller split work across threads.
 */
public interface Matrix {
    String name();

    int rows();

    int cols();

    /** Storage format, e.g. "F32", "BF16", "F16", "Q8_32", "Q4_32". */
    String format();

    /** Bytes read by one full pass over the matrix (weights plus scales). */
    long byteSize();

    /** {@code out[outOff + r] = W[r]·x[xOff ..]} for rows {@code r} in {@code [rowFrom, rowTo)}. */
    void matvec(float[] x, int xOff, float[] out, int outOff, int rowFrom, int rowTo);

    /**
     * For {@code n} input vectors {@code x[xOff + t·xStride ..]}:
     * {@code out[outOff + t·outStride + r] = W[r]·x_t} for rows in {@code [rowFrom, rowTo)}.
     * Implementations tile so that each block of weights is loaded once for a group of inputs.
     */
    void matmul(float[] x, int xOff, int xStride, int n, float[] out, int outOff, int outStride, int rowFrom, int rowTo);

    /** Row {@code r} widened to fp32 into {@code dst[dstOff ..]} (embedding lookup). */
    void row(int r, float[] dst, int dstOff);
}
