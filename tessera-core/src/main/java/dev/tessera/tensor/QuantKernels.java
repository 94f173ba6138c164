package dev.tessera.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Products with block-32 quantized weights ({@link Q8Matrix}, {@link Q4Matrix}). Dequantization is fused into the
 * dot product: each weight vector is widened int8/int4 → fp32 and multiplied by its block's fp16 scale (widened),
 * which gives exactly the dequantized value {@code q × fp16(s)} (a ≤ 8-bit integer times an 11-bit mantissa fits
 * in fp32's 24 bits), then accumulated with fma against fp32 activations. So these kernels compute with exactly the
 * dequantized weights: for Q8 with {@code cols % 32 == 0} the lane accumulators are the same as the F32 kernel's on
 * the dequantized matrix (same chunks, same order); only the final lane reduction may round differently (the Vector
 * API leaves the order of {@code reduceLanes(ADD)} open, and compiled and interpreted code do differ).
 *
 * <p>Why fold the scale into the weight rather than sum {@code q·x} per block and scale once: the cost is the same
 * one multiply per vector (the per-block variant needs a multiply for the first product of each block and an fma per
 * block), but folding keeps the contract "fp32 math on the dequantized weights" exact and lets the prefill tiles
 * reuse one dequantized weight vector for several tokens.
 *
 * <p>Int4 packs column {@code 2j} in the low nibble and {@code 2j+1} in the high nibble. Splitting nibbles yields
 * even columns in one vector and odd columns in another, so the kernel reads the activations de-interleaved per
 * block ({@code [x0 x2 … x30 | x1 x3 … x31]}); that copy is made once per call into a per-thread buffer, O(cols)
 * next to the O(rows·cols) product.
 *
 * <p>The SIMD path needs 8 or 16 float lanes (AVX2, AVX-512); on other shapes everything runs in the scalar loops,
 * which are the specification ({@link ScalarKernels#matvec} on {@link Matrix#row} is the test twin).
 */
public final class QuantKernels {
    private QuantKernels() {}

    public static final int BLOCK = 32;

    static final int KIND_Q8 = 0;
    static final int KIND_Q4 = 1;

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.length() > 16
            ? FloatVector.SPECIES_512 : FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    static final boolean SIMD = L == 8 || L == 16;
    private static final VectorSpecies<Byte> B = SIMD ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8)) : null;
    /** Weight vectors per block of 32. */
    private static final int VPB = BLOCK / L;
    /** Int4: vectors per half block (16 bytes hold 32 nibbles). */
    private static final int CH = 16 / L;
    private static final int TOKEN_TILE = L >= 16 ? 4 : 2;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private static final ThreadLocal<float[]> DEINTERLEAVED = ThreadLocal.withInitial(() -> new float[0]);

    // ---------------------------------------------------------------- element access (scalar)

    static float scale(MemorySegment scales, long index) {
        return Float.float16ToFloat(scales.getAtIndex(Tensor.SHORT_LE, index));
    }

    /** Signed int4 value of column c of a packed row starting at byte {@code rowBase}. */
    static int nibble(MemorySegment q, long rowBase, int c) {
        int b = q.get(java.lang.foreign.ValueLayout.JAVA_BYTE, rowBase + (c >>> 1));
        return ((c & 1) == 0 ? b & 0x0F : (b >>> 4) & 0x0F) - 8;
    }

    static int quant(int kind, MemorySegment q, long rowBase, int c) {
        return kind == KIND_Q8 ? q.get(java.lang.foreign.ValueLayout.JAVA_BYTE, rowBase + c) : nibble(q, rowBase, c);
    }

    static long rowBytes(int kind, int cols) {
        return kind == KIND_Q8 ? cols : (cols + 1) / 2;
    }

    static int scalesPerRow(int cols) {
        return (cols + BLOCK - 1) / BLOCK;
    }

    /** Row r dequantized into dst. */
    static void row(int kind, MemorySegment q, MemorySegment scales, int cols, int r, float[] dst, int dstOff) {
        long rowBase = r * rowBytes(kind, cols);
        long sBase = (long) r * scalesPerRow(cols);
        for (int c = 0; c < cols; c++) {
            dst[dstOff + c] = quant(kind, q, rowBase, c) * scale(scales, sBase + c / BLOCK);
        }
    }

    // ---------------------------------------------------------------- products

    static void matmulQ8(MemorySegment q, MemorySegment scales, int cols, float[] x, int xOff, int xStride, int n,
                         float[] out, int outOff, int outStride, int rowFrom, int rowTo) {
        if (!SIMD) {
            scalarMatmul(KIND_Q8, q, scales, cols, x, xOff, xStride, n, out, outOff, outStride, rowFrom, rowTo);
            return;
        }
        matmul(KIND_Q8, q, scales, cols, x, xOff, xStride, x, xOff, xStride, n, out, outOff, outStride, rowFrom, rowTo);
    }

    static void matmulQ4(MemorySegment q, MemorySegment scales, int cols, float[] x, int xOff, int xStride, int n,
                         float[] out, int outOff, int outStride, int rowFrom, int rowTo) {
        if (!SIMD) {
            scalarMatmul(KIND_Q4, q, scales, cols, x, xOff, xStride, n, out, outOff, outStride, rowFrom, rowTo);
            return;
        }
        int full = cols / BLOCK * BLOCK;
        float[] xp = DEINTERLEAVED.get();
        if (xp.length < n * full) {
            xp = new float[n * full];
            DEINTERLEAVED.set(xp);
        }
        for (int t = 0; t < n; t++) {
            int src = xOff + t * xStride;
            int dst = t * full;
            for (int b = 0; b < full; b += BLOCK) {
                for (int i = 0; i < BLOCK / 2; i++) {
                    xp[dst + b + i] = x[src + b + 2 * i];
                    xp[dst + b + BLOCK / 2 + i] = x[src + b + 2 * i + 1];
                }
            }
        }
        matmul(KIND_Q4, q, scales, cols, xp, 0, full, x, xOff, xStride, n, out, outOff, outStride, rowFrom, rowTo);
    }

    /**
     * Register tiles of 4 rows × {@link #TOKEN_TILE} inputs (AVX-512 has 32 registers for 16 accumulators, AVX2 only
     * 16). Full blocks read activations from {@code xb} (the de-interleaved copy for Q4), the partial last block
     * from the original {@code xt}.
     */
    private static void matmul(int kind, MemorySegment q, MemorySegment scales, int cols,
                               float[] xb, int xbOff, int xbStride, float[] xt, int xtOff, int xtStride, int n,
                               float[] out, int outOff, int outStride, int rowFrom, int rowTo) {
        int r = rowFrom;
        for (; r + 4 <= rowTo; r += 4) {
            int t = 0;
            if (TOKEN_TILE == 4) {
                for (; t + 4 <= n; t += 4) {
                    tile4x4(kind, q, scales, cols, r, xb, xbOff + t * xbStride, xbStride, xt, xtOff + t * xtStride, xtStride,
                            out, outOff + t * outStride + r, outStride);
                }
            }
            for (; t + 2 <= n; t += 2) {
                tile4x2(kind, q, scales, cols, r, xb, xbOff + t * xbStride, xbStride, xt, xtOff + t * xtStride, xtStride,
                        out, outOff + t * outStride + r, outStride);
            }
            for (; t < n; t++) {
                tile4x1(kind, q, scales, cols, r, xb, xbOff + t * xbStride, xt, xtOff + t * xtStride, out, outOff + t * outStride + r);
            }
        }
        for (; r < rowTo; r++) {
            for (int t = 0; t < n; t++) {
                out[outOff + t * outStride + r] = dot(kind, q, scales, cols, r, xb, xbOff + t * xbStride, xt, xtOff + t * xtStride);
            }
        }
    }

    /** Weight vector v (0 ≤ v < 32/L) of block b of the row at {@code rowBase}, widened (not yet scaled). */
    private static FloatVector load(int kind, MemorySegment q, long rowBase, int b, int v) {
        if (kind == KIND_Q8) {
            return (FloatVector) ByteVector.fromMemorySegment(B, q, rowBase + (long) b * BLOCK + (long) v * L, LE)
                    .convertShape(VectorOperators.B2F, F, 0);
        }
        // Int4: vectors 0..CH-1 are the low nibbles (even columns), CH..2CH-1 the high nibbles of the same bytes.
        ByteVector bytes = ByteVector.fromMemorySegment(B, q, rowBase + (long) b * (BLOCK / 2) + (long) (v % CH) * L, LE);
        ByteVector nib = v < CH ? bytes.and((byte) 0x0F) : bytes.lanewise(VectorOperators.LSHR, 4);
        return (FloatVector) nib.sub((byte) 8).convertShape(VectorOperators.B2F, F, 0);
    }

    private static float tailDot(int kind, MemorySegment q, long rowBase, MemorySegment scales, long sBase, int from, int cols, float[] x, int xo) {
        float s = 0;
        for (int c = from; c < cols; c++) {
            s += quant(kind, q, rowBase, c) * scale(scales, sBase + c / BLOCK) * x[xo + c];
        }
        return s;
    }

    private static void tile4x1(int kind, MemorySegment q, MemorySegment scales, int cols, int r,
                                float[] xb, int xbo, float[] xt, int xto, float[] out, int o) {
        long rb = rowBytes(kind, cols);
        int spr = scalesPerRow(cols);
        long b0 = r * rb, b1 = b0 + rb, b2 = b1 + rb, b3 = b2 + rb;
        long s0 = (long) r * spr, s1 = s0 + spr, s2 = s1 + spr, s3 = s2 + spr;
        int nb = cols / BLOCK;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < nb; b++) {
            FloatVector c0 = FloatVector.broadcast(F, scale(scales, s0 + b));
            FloatVector c1 = FloatVector.broadcast(F, scale(scales, s1 + b));
            FloatVector c2 = FloatVector.broadcast(F, scale(scales, s2 + b));
            FloatVector c3 = FloatVector.broadcast(F, scale(scales, s3 + b));
            for (int v = 0; v < VPB; v++) {
                FloatVector xv = FloatVector.fromArray(F, xb, xbo + b * BLOCK + v * L);
                a0 = load(kind, q, b0, b, v).mul(c0).fma(xv, a0);
                a1 = load(kind, q, b1, b, v).mul(c1).fma(xv, a1);
                a2 = load(kind, q, b2, b, v).mul(c2).fma(xv, a2);
                a3 = load(kind, q, b3, b, v).mul(c3).fma(xv, a3);
            }
        }
        int from = nb * BLOCK;
        out[o] = a0.reduceLanes(VectorOperators.ADD) + tailDot(kind, q, b0, scales, s0, from, cols, xt, xto);
        out[o + 1] = a1.reduceLanes(VectorOperators.ADD) + tailDot(kind, q, b1, scales, s1, from, cols, xt, xto);
        out[o + 2] = a2.reduceLanes(VectorOperators.ADD) + tailDot(kind, q, b2, scales, s2, from, cols, xt, xto);
        out[o + 3] = a3.reduceLanes(VectorOperators.ADD) + tailDot(kind, q, b3, scales, s3, from, cols, xt, xto);
    }

    private static void tile4x2(int kind, MemorySegment q, MemorySegment scales, int cols, int r,
                                float[] xb, int xbo, int xbs, float[] xt, int xto, int xts, float[] out, int o, int os) {
        long rb = rowBytes(kind, cols);
        int spr = scalesPerRow(cols);
        long b0 = r * rb, b1 = b0 + rb, b2 = b1 + rb, b3 = b2 + rb;
        long s0 = (long) r * spr, s1 = s0 + spr, s2 = s1 + spr, s3 = s2 + spr;
        int nb = cols / BLOCK;
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z, a01 = z, a10 = z, a11 = z, a20 = z, a21 = z, a30 = z, a31 = z;
        for (int b = 0; b < nb; b++) {
            FloatVector c0 = FloatVector.broadcast(F, scale(scales, s0 + b));
            FloatVector c1 = FloatVector.broadcast(F, scale(scales, s1 + b));
            FloatVector c2 = FloatVector.broadcast(F, scale(scales, s2 + b));
            FloatVector c3 = FloatVector.broadcast(F, scale(scales, s3 + b));
            for (int v = 0; v < VPB; v++) {
                int c = b * BLOCK + v * L;
                FloatVector x0 = FloatVector.fromArray(F, xb, xbo + c);
                FloatVector x1 = FloatVector.fromArray(F, xb, xbo + xbs + c);
                FloatVector w0 = load(kind, q, b0, b, v).mul(c0);
                a00 = w0.fma(x0, a00);
                a01 = w0.fma(x1, a01);
                FloatVector w1 = load(kind, q, b1, b, v).mul(c1);
                a10 = w1.fma(x0, a10);
                a11 = w1.fma(x1, a11);
                FloatVector w2 = load(kind, q, b2, b, v).mul(c2);
                a20 = w2.fma(x0, a20);
                a21 = w2.fma(x1, a21);
                FloatVector w3 = load(kind, q, b3, b, v).mul(c3);
                a30 = w3.fma(x0, a30);
                a31 = w3.fma(x1, a31);
            }
        }
        int from = nb * BLOCK;
        out[o] = a00.reduceLanes(VectorOperators.ADD) + tailDot(kind, q, b0, scales, s0, from, cols, xt, xto);
        out[o + os] = a01.reduceLanes(VectorOperators.ADD) + tailDot(kind, q, b0, scales, s0, from, cols, xt, xto + xts);
        out[o + 1] = a10.reduceLanes(VectorOperators.ADD) + tailDot(kind, q, b1, scales, s1, from, cols, xt, xto);
        out[o + os + 1] = a11.reduceLanes(VectorOperators.ADD) + tailDot(kind, q, b1, scales, s1, from, cols, xt, xto + xts);
        out[o + 2] = a20.reduceLanes(VectorOperators.ADD) + tailDot(kind, q, b2, scales, s2, from, cols, xt, xto);
        out[o + os + 2] = a21.reduceLanes(VectorOperators.ADD) + tailDot(kind, q, b2, scales, s2, from, cols, xt, xto + xts);
        out[o + 3] = a30.reduceLanes(VectorOperators.ADD) + tailDot(kind, q, b3, scales, s3, from, cols, xt, xto);
        out[o + os + 3] = a31.reduceLanes(VectorOperators.ADD) + tailDot(kind, q, b3, scales, s3, from, cols, xt, xto + xts);
    }

    private static void tile4x4(int kind, MemorySegment q, MemorySegment scales, int cols, int r,
                                float[] xb, int xbo, int xbs, float[] xt, int xto, int xts, float[] out, int o, int os) {
        long rb = rowBytes(kind, cols);
        int spr = scalesPerRow(cols);
        long b0 = r * rb, b1 = b0 + rb, b2 = b1 + rb, b3 = b2 + rb;
        long s0 = (long) r * spr, s1 = s0 + spr, s2 = s1 + spr, s3 = s2 + spr;
        int nb = cols / BLOCK;
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a10 = z, a11 = z, a12 = z, a13 = z;
        FloatVector a20 = z, a21 = z, a22 = z, a23 = z, a30 = z, a31 = z, a32 = z, a33 = z;
        for (int b = 0; b < nb; b++) {
            FloatVector c0 = FloatVector.broadcast(F, scale(scales, s0 + b));
            FloatVector c1 = FloatVector.broadcast(F, scale(scales, s1 + b));
            FloatVector c2 = FloatVector.broadcast(F, scale(scales, s2 + b));
            FloatVector c3 = FloatVector.broadcast(F, scale(scales, s3 + b));
            for (int v = 0; v < VPB; v++) {
                int c = b * BLOCK + v * L;
                FloatVector x0 = FloatVector.fromArray(F, xb, xbo + c);
                FloatVector x1 = FloatVector.fromArray(F, xb, xbo + xbs + c);
                FloatVector x2 = FloatVector.fromArray(F, xb, xbo + 2 * xbs + c);
                FloatVector x3 = FloatVector.fromArray(F, xb, xbo + 3 * xbs + c);
                FloatVector w0 = load(kind, q, b0, b, v).mul(c0);
                a00 = w0.fma(x0, a00);
                a01 = w0.fma(x1, a01);
                a02 = w0.fma(x2, a02);
                a03 = w0.fma(x3, a03);
                FloatVector w1 = load(kind, q, b1, b, v).mul(c1);
                a10 = w1.fma(x0, a10);
                a11 = w1.fma(x1, a11);
                a12 = w1.fma(x2, a12);
                a13 = w1.fma(x3, a13);
                FloatVector w2 = load(kind, q, b2, b, v).mul(c2);
                a20 = w2.fma(x0, a20);
                a21 = w2.fma(x1, a21);
                a22 = w2.fma(x2, a22);
                a23 = w2.fma(x3, a23);
                FloatVector w3 = load(kind, q, b3, b, v).mul(c3);
                a30 = w3.fma(x0, a30);
                a31 = w3.fma(x1, a31);
                a32 = w3.fma(x2, a32);
                a33 = w3.fma(x3, a33);
            }
        }
        // Reductions written out (no arrays of vectors: those would box every accumulator once per tile).
        int from = nb * BLOCK;
        int o1 = o + os, o2 = o + 2 * os, o3 = o + 3 * os;
        int x1 = xto + xts, x2 = xto + 2 * xts, x3 = xto + 3 * xts;
        out[o] = a00.reduceLanes(VectorOperators.ADD) + tailDot(kind, q, b0, scales, s0, from, cols, xt, xto);
        out[o1] = a01.reduceLanes(VectorOperators.ADD) + tailDot(kind, q, b0, scales, s0, from, cols, xt, x1);
        out[o2] = a02.reduceLanes(VectorOperators.ADD) + tailDot(kind, q, b0, scales, s0, from, cols, xt, x2);
        out[o3] = a03.reduceLanes(VectorOperators.ADD) + tailDot(kind, q, b0, scales, s0, from, cols, xt, x3);
        out[o + 1] = a10.reduceLanes(VectorOperators.ADD) + tailDot(kind, q, b1, scales, s1, from, cols, xt, xto);
        out[o1 + 1] = a11.reduceLanes(VectorOperators.ADD) + tailDot(kind, q, b1, scales, s1, from, cols, xt, x1);
        out[o2 + 1] = a12.reduceLanes(VectorOperators.ADD) + tailDot(kind, q, b1, scales, s1, from, cols, xt, x2);
        out[o3 + 1] = a13.reduceLanes(VectorOperators.ADD) + tailDot(kind, q, b1, scales, s1, from, cols, xt, x3);
        out[o + 2] = a20.reduceLanes(VectorOperators.ADD) + tailDot(kind, q, b2, scales, s2, from, cols, xt, xto);
        out[o1 + 2] = a21.reduceLanes(VectorOperators.ADD) + tailDot(kind, q, b2, scales, s2, from, cols, xt, x1);
        out[o2 + 2] = a22.reduceLanes(VectorOperators.ADD) + tailDot(kind, q, b2, scales, s2, from, cols, xt, x2);
        out[o3 + 2] = a23.reduceLanes(VectorOperators.ADD) + tailDot(kind, q, b2, scales, s2, from, cols, xt, x3);
        out[o + 3] = a30.reduceLanes(VectorOperators.ADD) + tailDot(kind, q, b3, scales, s3, from, cols, xt, xto);
        out[o1 + 3] = a31.reduceLanes(VectorOperators.ADD) + tailDot(kind, q, b3, scales, s3, from, cols, xt, x1);
        out[o2 + 3] = a32.reduceLanes(VectorOperators.ADD) + tailDot(kind, q, b3, scales, s3, from, cols, xt, x2);
        out[o3 + 3] = a33.reduceLanes(VectorOperators.ADD) + tailDot(kind, q, b3, scales, s3, from, cols, xt, x3);
    }

    private static float dot(int kind, MemorySegment q, MemorySegment scales, int cols, int r, float[] xb, int xbo, float[] xt, int xto) {
        long base = r * rowBytes(kind, cols);
        long sBase = (long) r * scalesPerRow(cols);
        int nb = cols / BLOCK;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < nb; b++) {
            FloatVector sv = FloatVector.broadcast(F, scale(scales, sBase + b));
            for (int v = 0; v < VPB; v++) {
                acc = load(kind, q, base, b, v).mul(sv).fma(FloatVector.fromArray(F, xb, xbo + b * BLOCK + v * L), acc);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD) + tailDot(kind, q, base, scales, sBase, nb * BLOCK, cols, xt, xto);
    }

    /** The scalar loops: used where the SIMD shapes are unavailable. Dequantized weight times x, summed in order. */
    static void scalarMatmul(int kind, MemorySegment q, MemorySegment scales, int cols, float[] x, int xOff, int xStride, int n,
                             float[] out, int outOff, int outStride, int rowFrom, int rowTo) {
        for (int r = rowFrom; r < rowTo; r++) {
            long base = r * rowBytes(kind, cols);
            long sBase = (long) r * scalesPerRow(cols);
            for (int t = 0; t < n; t++) {
                out[outOff + t * outStride + r] = tailDot(kind, q, base, scales, sBase, 0, cols, x, xOff + t * xStride);
            }
        }
    }
}
