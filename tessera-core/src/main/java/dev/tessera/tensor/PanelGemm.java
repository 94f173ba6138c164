package dev.tessera.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The prefill product of a {@link Q8Matrix} with many tokens: the int8 weights are dequantized a panel of
 * {@link #PANEL} rows at a time into an fp32 buffer, and the product runs over that panel in column blocks of
 * {@link #KB}, so a panel block and four tokens' activations stay in L1 while every weight vector feeds
 * {@code 4 × 4} fmas (4 × 2 on AVX2, which has 16 vector registers).
 *
 * <p>Why: the direct int8 tiles ({@link QuantKernels}) widen every weight vector in the inner loop, where the
 * conversion competes with the fmas for the same two ports, and they stream each row over the whole width for each
 * group of tokens, so with 2560 or 10496 columns neither the rows nor the activations stay in L1. Measured on one
 * core (AVX-512, 128 tokens, best of 14): 2560×2560 60 → 86 GFLOP/s, 10496×2560 60 → 88, 2560×10496 37 → 63
 * (the fma peak is 162). For bf16 the same panels measured no faster than the direct tiles, so only int8 uses them.
 *
 * <p>Same sums as the one-token kernel: the lane accumulators are carried between column blocks through memory,
 * which is exact, so each lane adds the same products in the same order, and the tail columns are added as
 * {@link QuantKernels} adds them; only the final lane reduction, whose order the Vector API leaves open, could
 * differ (tested within a few ulps on shapes across every boundary). Staging is exact: an int8 times its fp16
 * scale is what that kernel forms too.
 */
final class PanelGemm {
    private PanelGemm() {}

    /**
     * Rows widened at once. With {@link #KB} columns a panel block is 8 × 512 × 4 = 16 KiB and four tokens'
     * activations 8 KiB: both stay in L1 while the tiles sweep the tokens. Chosen by measurement on one core
     * (2560×2560, 10496×2560, 2560×10496, 128 tokens; panel/block 16/256, 16/512, 8/512, 8/1024, 32/256, 32/384):
     * 8/512 was fastest or within noise of it on every shape.
     */
    static final int PANEL = 8;
    /** Columns per block (a multiple of every lane count and of the quantization block). */
    static final int KB = 512;
    /** Tokens whose lane accumulators are kept at once: 8 rows × 64 tokens × 64 bytes = 32 KiB. */
    static final int TOKEN_GROUP = 64;
    /**
     * Below this many tokens the direct tiles are as fast: the staging pass costs about one read of the rows. One
     * core, the three Nanbeige shapes: 4 tokens 25–33 vs 41–59 GFLOP/s direct, 8 tokens 48–58 vs 48–55, 16 tokens
     * 60–85 vs 54–72.
     */
    static final int MIN_TOKENS = 16;

    private static final VectorSpecies<Float> F = Kernels.F;
    private static final int L = F.length();
    /** Four tokens per tile need 16 accumulators + 4 weights + 1 input: AVX-512 has 32 registers, AVX2 16. */
    private static final boolean WIDE = L >= 16;

    /**
     * Floats before the first panel row and accumulator. A float[]'s elements start 16 bytes into the object, so
     * when objects are 64-byte aligned ({@code -XX:ObjectAlignmentInBytes=64}, which the launcher sets) 12 floats
     * put every panel row (at a stride of whole vectors) and every accumulator on a cache line, and no 512-bit load
     * splits across two lines. With other alignments the data sits where it lands, as before; results are the same.
     */
    static final int PAD = 12;

    /** Panel row stride: whole cache lines, so aligned rows stay aligned. */
    static int stride(int cols) {
        return (cols + 15) & ~15;
    }

    private static final class Buffers {
        float[] panel = new float[0];
        float[] acc = new float[0];
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    /** Whether {@link #matmulQ8} should be used for {@code n} tokens (on a SIMD shape {@link QuantKernels} has). */
    static boolean worthIt(int n) {
        return n >= MIN_TOKENS;
    }

    /**
     * {@code out[outOff + t·outStride + r] = W[r]·x_t} for rows {@code [rowFrom, rowTo)} and {@code n} tokens of a
     * {@link Q8Matrix}'s planes.
     */
    static void matmulQ8(MemorySegment q, MemorySegment scales, int cols, int tiledRows, float[] x, int xOff, int xStride,
                         int n, float[] out, int outOff, int outStride, int rowFrom, int rowTo) {
        Buffers buf = BUFFERS.get();
        int ps = stride(cols);
        if (buf.panel.length < PAD + PANEL * ps) {
            buf.panel = new float[PAD + PANEL * ps];
        }
        int accSize = PAD + PANEL * Math.min(n, TOKEN_GROUP) * L;
        if (buf.acc.length < accSize) {
            buf.acc = new float[accSize];
        }
        float[] panel = buf.panel;
        // Whole quantization blocks are summed in vectors; the rest is added as the one-token kernel adds it.
        int vectorCols = cols / QuantKernels.BLOCK * QuantKernels.BLOCK;
        for (int r0 = rowFrom; r0 < rowTo; r0 += PANEL) {
            int rows = Math.min(PANEL, rowTo - r0);
            stageQ8(q, scales, cols, tiledRows, r0, rows, panel, ps);
            int paddedRows = (rows + 3) & ~3;
            java.util.Arrays.fill(panel, PAD + rows * ps, PAD + paddedRows * ps, 0f);
            for (int t0 = 0; t0 < n; t0 += TOKEN_GROUP) {
                int tn = Math.min(TOKEN_GROUP, n - t0);
                int xg = xOff + t0 * xStride;
                products(panel, ps, paddedRows, vectorCols, x, xg, xStride, tn, buf.acc);
                finish(panel, ps, cols, rows, vectorCols, x, xg, xStride, tn, buf.acc, out, outOff + t0 * outStride + r0, outStride);
            }
        }
    }

    /** The lane accumulators of every (row, token) of the group over columns {@code [0, vectorCols)}. */
    private static void products(float[] panel, int ps, int rows, int vectorCols, float[] x, int xo, int xs, int tn, float[] acc) {
        int accRow = tn * L;
        for (int k0 = 0; k0 < vectorCols; k0 += KB) {
            int len = Math.min(KB, vectorCols - k0);
            boolean first = k0 == 0;
            int t = 0;
            if (WIDE) {
                for (; t + 4 <= tn; t += 4) {
                    for (int r = 0; r < rows; r += 4) {
                        tile4x4(panel, PAD + r * ps + k0, ps, x, xo + t * xs + k0, xs, len, acc, PAD + r * accRow + t * L, accRow, first);
                    }
                }
            }
            for (; t + 2 <= tn; t += 2) {
                for (int r = 0; r < rows; r += 4) {
                    tile4x2(panel, PAD + r * ps + k0, ps, x, xo + t * xs + k0, xs, len, acc, PAD + r * accRow + t * L, accRow, first);
                }
            }
            for (; t < tn; t++) {
                for (int r = 0; r < rows; r += 4) {
                    tile4x1(panel, PAD + r * ps + k0, ps, x, xo + t * xs + k0, len, acc, PAD + r * accRow + t * L, accRow, first);
                }
            }
        }
        if (vectorCols == 0) {
            java.util.Arrays.fill(acc, PAD, PAD + rows * accRow, 0f);
        }
    }

    /** Reduces the lanes and adds the tail columns, in the order of the format's one-token kernel. */
    private static void finish(float[] panel, int ps, int cols, int rows, int vectorCols, float[] x, int xo, int xs, int tn,
                               float[] acc, float[] out, int o, int os) {
        int accRow = tn * L;
        for (int r = 0; r < rows; r++) {
            int wr = PAD + r * ps;
            for (int t = 0; t < tn; t++) {
                float s = FloatVector.fromArray(F, acc, PAD + r * accRow + t * L).reduceLanes(VectorOperators.ADD);
                int xt = xo + t * xs;
                float tail = 0;
                for (int c = vectorCols; c < cols; c++) {
                    tail += panel[wr + c] * x[xt + c];
                }
                out[o + t * os + r] = s + tail;
            }
        }
    }

    // ---------------------------------------------------------------- staging

    /** int8 × its block's fp16 scale, vector by vector, with the one-token kernel's own loaders. */
    private static void stageQ8(MemorySegment q, MemorySegment scales, int cols, int tiledRows, int r0, int rows,
                                float[] panel, int ps) {
        int spr = QuantKernels.scalesPerRow(cols);
        float[] sc = QuantKernels.scaleBuffer(rows * spr);
        QuantKernels.widenScalesByRow(scales, tiledRows, spr, r0, rows, sc);
        int full = cols / QuantKernels.BLOCK;
        for (int r = 0; r < rows; r++) {
            long base = QuantKernels.q8Base(tiledRows, cols, r0 + r);
            long step = QuantKernels.q8Step(tiledRows, r0 + r);
            int dst = PAD + r * ps;
            for (int b = 0; b < full; b++) {
                FloatVector sv = FloatVector.broadcast(F, sc[r * spr + b]);
                for (int v = 0; v < QuantKernels.BLOCK; v += L) {
                    QuantKernels.q8(q, base + b * step + v, sv).intoArray(panel, dst + b * QuantKernels.BLOCK + v);
                }
            }
            long tail = QuantKernels.q8TailBase(tiledRows, cols, r0 + r);
            for (int c = full * QuantKernels.BLOCK; c < cols; c++) {
                panel[dst + c] = q.get(java.lang.foreign.ValueLayout.JAVA_BYTE, tail + c) * sc[r * spr + c / QuantKernels.BLOCK];
            }
        }
    }

    // ---------------------------------------------------------------- register tiles over one column block

    private static void tile4x4(float[] w, int wo, int ws, float[] x, int xo, int xs, int len, float[] acc, int ao, int as, boolean first) {
        FloatVector a00, a01, a02, a03, a10, a11, a12, a13, a20, a21, a22, a23, a30, a31, a32, a33;
        if (first) {
            a00 = a01 = a02 = a03 = a10 = a11 = a12 = a13 = a20 = a21 = a22 = a23 = a30 = a31 = a32 = a33 = FloatVector.zero(F);
        } else {
            a00 = FloatVector.fromArray(F, acc, ao);
            a01 = FloatVector.fromArray(F, acc, ao + L);
            a02 = FloatVector.fromArray(F, acc, ao + 2 * L);
            a03 = FloatVector.fromArray(F, acc, ao + 3 * L);
            a10 = FloatVector.fromArray(F, acc, ao + as);
            a11 = FloatVector.fromArray(F, acc, ao + as + L);
            a12 = FloatVector.fromArray(F, acc, ao + as + 2 * L);
            a13 = FloatVector.fromArray(F, acc, ao + as + 3 * L);
            a20 = FloatVector.fromArray(F, acc, ao + 2 * as);
            a21 = FloatVector.fromArray(F, acc, ao + 2 * as + L);
            a22 = FloatVector.fromArray(F, acc, ao + 2 * as + 2 * L);
            a23 = FloatVector.fromArray(F, acc, ao + 2 * as + 3 * L);
            a30 = FloatVector.fromArray(F, acc, ao + 3 * as);
            a31 = FloatVector.fromArray(F, acc, ao + 3 * as + L);
            a32 = FloatVector.fromArray(F, acc, ao + 3 * as + 2 * L);
            a33 = FloatVector.fromArray(F, acc, ao + 3 * as + 3 * L);
        }
        for (int c = 0; c < len; c += L) {
            FloatVector x0 = FloatVector.fromArray(F, x, xo + c);
            FloatVector x1 = FloatVector.fromArray(F, x, xo + xs + c);
            FloatVector x2 = FloatVector.fromArray(F, x, xo + 2 * xs + c);
            FloatVector x3 = FloatVector.fromArray(F, x, xo + 3 * xs + c);
            FloatVector w0 = FloatVector.fromArray(F, w, wo + c);
            a00 = w0.fma(x0, a00);
            a01 = w0.fma(x1, a01);
            a02 = w0.fma(x2, a02);
            a03 = w0.fma(x3, a03);
            FloatVector w1 = FloatVector.fromArray(F, w, wo + ws + c);
            a10 = w1.fma(x0, a10);
            a11 = w1.fma(x1, a11);
            a12 = w1.fma(x2, a12);
            a13 = w1.fma(x3, a13);
            FloatVector w2 = FloatVector.fromArray(F, w, wo + 2 * ws + c);
            a20 = w2.fma(x0, a20);
            a21 = w2.fma(x1, a21);
            a22 = w2.fma(x2, a22);
            a23 = w2.fma(x3, a23);
            FloatVector w3 = FloatVector.fromArray(F, w, wo + 3 * ws + c);
            a30 = w3.fma(x0, a30);
            a31 = w3.fma(x1, a31);
            a32 = w3.fma(x2, a32);
            a33 = w3.fma(x3, a33);
        }
        a00.intoArray(acc, ao);
        a01.intoArray(acc, ao + L);
        a02.intoArray(acc, ao + 2 * L);
        a03.intoArray(acc, ao + 3 * L);
        a10.intoArray(acc, ao + as);
        a11.intoArray(acc, ao + as + L);
        a12.intoArray(acc, ao + as + 2 * L);
        a13.intoArray(acc, ao + as + 3 * L);
        a20.intoArray(acc, ao + 2 * as);
        a21.intoArray(acc, ao + 2 * as + L);
        a22.intoArray(acc, ao + 2 * as + 2 * L);
        a23.intoArray(acc, ao + 2 * as + 3 * L);
        a30.intoArray(acc, ao + 3 * as);
        a31.intoArray(acc, ao + 3 * as + L);
        a32.intoArray(acc, ao + 3 * as + 2 * L);
        a33.intoArray(acc, ao + 3 * as + 3 * L);
    }

    private static void tile4x2(float[] w, int wo, int ws, float[] x, int xo, int xs, int len, float[] acc, int ao, int as, boolean first) {
        FloatVector a00, a01, a10, a11, a20, a21, a30, a31;
        if (first) {
            a00 = a01 = a10 = a11 = a20 = a21 = a30 = a31 = FloatVector.zero(F);
        } else {
            a00 = FloatVector.fromArray(F, acc, ao);
            a01 = FloatVector.fromArray(F, acc, ao + L);
            a10 = FloatVector.fromArray(F, acc, ao + as);
            a11 = FloatVector.fromArray(F, acc, ao + as + L);
            a20 = FloatVector.fromArray(F, acc, ao + 2 * as);
            a21 = FloatVector.fromArray(F, acc, ao + 2 * as + L);
            a30 = FloatVector.fromArray(F, acc, ao + 3 * as);
            a31 = FloatVector.fromArray(F, acc, ao + 3 * as + L);
        }
        for (int c = 0; c < len; c += L) {
            FloatVector x0 = FloatVector.fromArray(F, x, xo + c);
            FloatVector x1 = FloatVector.fromArray(F, x, xo + xs + c);
            FloatVector w0 = FloatVector.fromArray(F, w, wo + c);
            a00 = w0.fma(x0, a00);
            a01 = w0.fma(x1, a01);
            FloatVector w1 = FloatVector.fromArray(F, w, wo + ws + c);
            a10 = w1.fma(x0, a10);
            a11 = w1.fma(x1, a11);
            FloatVector w2 = FloatVector.fromArray(F, w, wo + 2 * ws + c);
            a20 = w2.fma(x0, a20);
            a21 = w2.fma(x1, a21);
            FloatVector w3 = FloatVector.fromArray(F, w, wo + 3 * ws + c);
            a30 = w3.fma(x0, a30);
            a31 = w3.fma(x1, a31);
        }
        a00.intoArray(acc, ao);
        a01.intoArray(acc, ao + L);
        a10.intoArray(acc, ao + as);
        a11.intoArray(acc, ao + as + L);
        a20.intoArray(acc, ao + 2 * as);
        a21.intoArray(acc, ao + 2 * as + L);
        a30.intoArray(acc, ao + 3 * as);
        a31.intoArray(acc, ao + 3 * as + L);
    }

    private static void tile4x1(float[] w, int wo, int ws, float[] x, int xo, int len, float[] acc, int ao, int as, boolean first) {
        FloatVector a0, a1, a2, a3;
        if (first) {
            a0 = a1 = a2 = a3 = FloatVector.zero(F);
        } else {
            a0 = FloatVector.fromArray(F, acc, ao);
            a1 = FloatVector.fromArray(F, acc, ao + as);
            a2 = FloatVector.fromArray(F, acc, ao + 2 * as);
            a3 = FloatVector.fromArray(F, acc, ao + 3 * as);
        }
        for (int c = 0; c < len; c += L) {
            FloatVector xv = FloatVector.fromArray(F, x, xo + c);
            a0 = FloatVector.fromArray(F, w, wo + c).fma(xv, a0);
            a1 = FloatVector.fromArray(F, w, wo + ws + c).fma(xv, a1);
            a2 = FloatVector.fromArray(F, w, wo + 2 * ws + c).fma(xv, a2);
            a3 = FloatVector.fromArray(F, w, wo + 3 * ws + c).fma(xv, a3);
        }
        a0.intoArray(acc, ao);
        a1.intoArray(acc, ao + as);
        a2.intoArray(acc, ao + 2 * as);
        a3.intoArray(acc, ao + 3 * as);
    }
}
