package dev.tessera.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A weight matrix quantized to int8 per block of 32 consecutive columns: {@code q} holds the int8 values,
 * {@code scales} is F16 {@code [rows, ceil(cols/32)]}; element {@code (r, c)} is {@code q(r, c) × scales[r][c/32]}.
 * The two planes are separate so SIMD loads of each stay contiguous.
 *
 * <p>{@code q} is row-major {@code [rows, cols]} as bundles store it, or {@code tiled}: groups of 8 rows stored block
 * by block (block 0 of rows 0..7, then block 1 of rows 0..7, ...; rows past the last whole group stay plain rows;
 * {@link QuantKernels#q8Base}), and the scales of those rows likewise block by block ({@link QuantKernels#q8ScaleIndex}).
 * A decode step reads 8 rows at once, and in the row-major layout those are 8 short
 * streams (1 KB each for 1024 columns) that the hardware prefetchers follow poorly; tiled, the same tile is one
 * sequential stream. Measured on a 2-core AMD EPYC (Zen 4), 512 MB of int8 rows of 1024 columns, decode tile:
 * 5.8 → 13.4 GB/s on one thread, 10.9 → 21.6 on two. Models run on the tiled form ({@link #tiled}); values and the
 * order of every sum are the same in both layouts.
 */
public record Q8Matrix(String name, int rows, int cols, MemorySegment q, MemorySegment scales, boolean tiled) implements Matrix {
    public Q8Matrix {
        QuantMatrices.checkPlanes(name, rows, cols, (long) rows * cols, q, scales);
    }

    /**
     * A row-major matrix over these planes. (The canonical constructor trusts {@code tiled}: give it true only for
     * planes already in the tiled order, or all zero.)
     */
    public Q8Matrix(String name, int rows, int cols, MemorySegment q, MemorySegment scales) {
        this(name, rows, cols, q, scales, false);
    }

    /**
     * The same matrix in the tiled layout: a copy of both planes in {@code arena}, or this if already tiled. The copy
     * is made on several threads, so {@code arena} must be shared or automatic (not confined).
     */
    public Q8Matrix tiled(Arena arena) {
        if (tiled) {
            return this;
        }
        MemorySegment t = NativeMemory.allocate(q.byteSize(), arena).asSlice(0, q.byteSize());
        QuantKernels.tile(q, t, rows, cols);
        MemorySegment s = NativeMemory.allocate(scales.byteSize(), arena).asSlice(0, scales.byteSize());
        QuantKernels.tileScales(scales, s, rows, QuantKernels.scalesPerRow(cols));
        return new Q8Matrix(name, rows, cols, t, s, true);
    }

    /** The same matrix in the tiled layout, rearranged inside its own (writable) planes: this one is left invalid. */
    public Q8Matrix tiledInPlace() {
        if (tiled) {
            return this;
        }
        QuantKernels.tile(q, q, rows, cols);
        QuantKernels.tileScales(scales, scales, rows, QuantKernels.scalesPerRow(cols));
        return new Q8Matrix(name, rows, cols, q, scales, true);
    }

    /** Rows stored in tiles (the rest are plain rows). */
    public int tiledRows() {
        return tiled ? rows / QuantKernels.TILE_ROWS * QuantKernels.TILE_ROWS : 0;
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
        QuantKernels.matmulQ8(q, scales, cols, tiledRows(), x, xOff, cols, 1, out, outOff, rows, rowFrom, rowTo);
    }

    @Override
    public void matmul(float[] x, int xOff, int xStride, int n, float[] out, int outOff, int outStride, int rowFrom, int rowTo) {
        QuantKernels.matmulQ8(q, scales, cols, tiledRows(), x, xOff, xStride, n, out, outOff, outStride, rowFrom, rowTo);
    }

    @Override
    public void row(int r, float[] dst, int dstOff) {
        QuantKernels.rowQ8(q, scales, cols, tiledRows(), r, dst, dstOff);
    }
}
