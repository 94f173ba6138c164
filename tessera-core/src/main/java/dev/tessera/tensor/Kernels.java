package dev.tessera.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SIMD kernels (Vector API, preferred species). Each has a scalar twin in {@link ScalarKernels} that is the
 * specification; tests compare the two on awkward sizes. All arithmetic is fp32; 16-bit weights are widened
 * exactly (BF16: the 16 bits become the high half; F16: IEEE half to single, subnormals and inf/NaN included).
 *
 * <p>Hot loops stay monomorphic: the storage kind is an int constant passed down and tested once per vector load;
 * the branch is loop-invariant, predicted, and cheap next to the memory traffic of a decode step.
 */
public final class Kernels {
    private Kernels() {}

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Tokens per register tile in the prefill matmul: AVX-512 has 32 vector registers, AVX2 only 16. */
    static final int TOKEN_TILE = L >= 16 ? 4 : 2;

    static final int KIND_F32 = 0;
    static final int KIND_BF16 = 1;
    static final int KIND_F16 = 2;

    /** Name of the vector shape in use, for logs and benchmark reports. */
    public static String describe() {
        return F.vectorBitSize() + "-bit vectors (" + L + " floats)";
    }

    // ---------------------------------------------------------------- loads

    private static FloatVector load(int kind, MemorySegment w, long off) {
        if (kind == KIND_F32) {
            return FloatVector.fromMemorySegment(F, w, off, LE);
        }
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, w, off, LE).convertShape(VectorOperators.S2I, I, 0);
        if (kind == KIND_BF16) {
            return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
        }
        return f16ToF32(h);
    }

    /** IEEE half (sign-extended in an int lane) to single: exact for normals, subnormals, infinities and NaN. */
    private static FloatVector f16ToF32(IntVector h) {
        IntVector magnitude = h.and(0x7FFF);
        IntVector shifted = magnitude.lanewise(VectorOperators.LSHL, 13);
        // Re-biasing the exponent by multiplying with 2^112 also normalises subnormal halves exactly.
        IntVector finite = shifted.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
        VectorMask<Integer> infOrNaN = magnitude.compare(VectorOperators.GE, 0x7C00);
        IntVector bits = finite.blend(shifted.or(0x7F800000), infOrNaN);
        return bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    private static float loadScalar(int kind, MemorySegment w, long off) {
        return switch (kind) {
            case KIND_F32 -> w.get(Tensor.FLOAT_LE, off);
            case KIND_BF16 -> Float.intBitsToFloat((w.get(Tensor.SHORT_LE, off) & 0xFFFF) << 16);
            default -> Float.float16ToFloat(w.get(Tensor.SHORT_LE, off));
        };
    }

    private static int elementBytes(int kind) {
        return kind == KIND_F32 ? 4 : 2;
    }

    // ---------------------------------------------------------------- matmul / matvec

    static void matmulF32(MemorySegment w, int cols, float[] x, int xOff, int xStride, int n, float[] out, int outOff, int outStride, int rowFrom, int rowTo) {
        matmul(KIND_F32, w, cols, x, xOff, xStride, n, out, outOff, outStride, rowFrom, rowTo);
    }

    static void matmulBF16(MemorySegment w, int cols, float[] x, int xOff, int xStride, int n, float[] out, int outOff, int outStride, int rowFrom, int rowTo) {
        matmul(KIND_BF16, w, cols, x, xOff, xStride, n, out, outOff, outStride, rowFrom, rowTo);
    }

    static void matmulF16(MemorySegment w, int cols, float[] x, int xOff, int xStride, int n, float[] out, int outOff, int outStride, int rowFrom, int rowTo) {
        matmul(KIND_F16, w, cols, x, xOff, xStride, n, out, outOff, outStride, rowFrom, rowTo);
    }

    /**
     * Register-tiled product: 4 weight rows × {@link #TOKEN_TILE} inputs per tile, so every weight vector loaded
     * (and widened) is used for several tokens. With n = 1 this is a 4-row matvec with independent accumulators.
     */
    private static void matmul(int kind, MemorySegment w, int cols, float[] x, int xOff, int xStride, int n, float[] out, int outOff, int outStride, int rowFrom, int rowTo) {
        if (kind == KIND_F16) {
            matmulStagedF16(w, cols, x, xOff, xStride, n, out, outOff, outStride, rowFrom, rowTo);
            return;
        }
        long rowBytes = (long) cols * elementBytes(kind);
        int r = rowFrom;
        for (; r + 4 <= rowTo; r += 4) {
            long base = r * rowBytes;
            int t = 0;
            if (TOKEN_TILE == 4) {
                for (; t + 4 <= n; t += 4) {
                    tile4x4(kind, w, base, rowBytes, cols, x, xOff + t * xStride, xStride, out, outOff + t * outStride + r, outStride);
                }
            }
            for (; t + 2 <= n; t += 2) {
                tile4x2(kind, w, base, rowBytes, cols, x, xOff + t * xStride, xStride, out, outOff + t * outStride + r, outStride);
            }
            for (; t < n; t++) {
                tile4x1(kind, w, base, rowBytes, cols, x, xOff + t * xStride, out, outOff + t * outStride + r);
            }
        }
        for (; r < rowTo; r++) {
            for (int t = 0; t < n; t++) {
                out[outOff + t * outStride + r] = dot(kind, w, r * rowBytes, x, xOff + t * xStride, cols);
            }
        }
    }

    /** Per-thread buffer of {@link #matmulStagedF16}: four F16 rows widened to fp32. */
    private static final class F16Stage {
        float[] wide = new float[0];
        MemorySegment wideSegment = MemorySegment.ofArray(wide);

        void ensure(int elements) {
            if (wide.length < elements) {
                wide = new float[elements];
                wideSegment = MemorySegment.ofArray(wide);
            }
        }
    }

    private static final ThreadLocal<F16Stage> F16_STAGE = ThreadLocal.withInitial(F16Stage::new);

    /**
     * F16 weights four rows at a time: widen the rows straight from the segment with a plain
     * {@link Float#float16ToFloat} loop (which C2 turns into one hardware conversion per vector, far cheaper than the
     * bit-level widening the Vector API would need), then run the fp32 register tiles on the widened rows, which stay
     * in cache (12 KB at 768 columns). Exact: the widening is IEEE half to single. Widening from the segment rather
     * than from a bulk copy of the rows keeps the weight stream inside a loop that also computes (harness, one thread,
     * 768 columns, medians of runs on three occasions: 14–18.2 → 19–25.2 GB/s on a cache-resident 3 MB matrix,
     * 7.5–10.9 → 11.5–16.2 from DRAM).
     */
    private static void matmulStagedF16(MemorySegment w, int cols, float[] x, int xOff, int xStride, int n, float[] out, int outOff, int outStride, int rowFrom, int rowTo) {
        F16Stage st = F16_STAGE.get();
        st.ensure(4 * cols);
        float[] wide = st.wide;
        long wideRowBytes = 4L * cols;
        int r = rowFrom;
        for (; r < rowTo; r += 4) {
            int rows = Math.min(4, rowTo - r);
            widenHalves(w, r * (long) cols, wide, rows * cols);
            if (rows == 4) {
                int t = 0;
                if (TOKEN_TILE == 4) {
                    for (; t + 4 <= n; t += 4) {
                        tile4x4(KIND_F32, st.wideSegment, 0, wideRowBytes, cols, x, xOff + t * xStride, xStride, out, outOff + t * outStride + r, outStride);
                    }
                }
                for (; t + 2 <= n; t += 2) {
                    tile4x2(KIND_F32, st.wideSegment, 0, wideRowBytes, cols, x, xOff + t * xStride, xStride, out, outOff + t * outStride + r, outStride);
                }
                for (; t < n; t++) {
                    tile4x1(KIND_F32, st.wideSegment, 0, wideRowBytes, cols, x, xOff + t * xStride, out, outOff + t * outStride + r);
                }
            } else {
                for (int rr = 0; rr < rows; rr++) {
                    for (int t = 0; t < n; t++) {
                        out[outOff + t * outStride + r + rr] = dot(KIND_F32, st.wideSegment, rr * wideRowBytes, x, xOff + t * xStride, cols);
                    }
                }
            }
        }
    }

    private static void widenHalves(MemorySegment w, long first, float[] wide, int n) {
        for (int i = 0; i < n; i++) {
            wide[i] = Float.float16ToFloat(w.getAtIndex(Tensor.SHORT_LE, first + i));
        }
    }

    private static void tile4x1(int kind, MemorySegment w, long base, long rowBytes, int cols, float[] x, int xo, float[] out, int o) {
        int eb = elementBytes(kind);
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int bound = F.loopBound(cols);
        int c = 0;
        for (; c < bound; c += L) {
            long off = base + (long) c * eb;
            FloatVector xv = FloatVector.fromArray(F, x, xo + c);
            a0 = load(kind, w, off).fma(xv, a0);
            a1 = load(kind, w, off + rowBytes).fma(xv, a1);
            a2 = load(kind, w, off + 2 * rowBytes).fma(xv, a2);
            a3 = load(kind, w, off + 3 * rowBytes).fma(xv, a3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
        for (; c < cols; c++) {
            long off = base + (long) c * eb;
            float xv = x[xo + c];
            s0 += loadScalar(kind, w, off) * xv;
            s1 += loadScalar(kind, w, off + rowBytes) * xv;
            s2 += loadScalar(kind, w, off + 2 * rowBytes) * xv;
            s3 += loadScalar(kind, w, off + 3 * rowBytes) * xv;
        }
        out[o] = s0;
        out[o + 1] = s1;
        out[o + 2] = s2;
        out[o + 3] = s3;
    }

    private static void tile4x2(int kind, MemorySegment w, long base, long rowBytes, int cols, float[] x, int xo, int xs, float[] out, int o, int os) {
        int eb = elementBytes(kind);
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z, a01 = z, a10 = z, a11 = z, a20 = z, a21 = z, a30 = z, a31 = z;
        int bound = F.loopBound(cols);
        int c = 0;
        for (; c < bound; c += L) {
            long off = base + (long) c * eb;
            FloatVector x0 = FloatVector.fromArray(F, x, xo + c);
            FloatVector x1 = FloatVector.fromArray(F, x, xo + xs + c);
            FloatVector w0 = load(kind, w, off);
            a00 = w0.fma(x0, a00);
            a01 = w0.fma(x1, a01);
            FloatVector w1 = load(kind, w, off + rowBytes);
            a10 = w1.fma(x0, a10);
            a11 = w1.fma(x1, a11);
            FloatVector w2 = load(kind, w, off + 2 * rowBytes);
            a20 = w2.fma(x0, a20);
            a21 = w2.fma(x1, a21);
            FloatVector w3 = load(kind, w, off + 3 * rowBytes);
            a30 = w3.fma(x0, a30);
            a31 = w3.fma(x1, a31);
        }
        float[] s = {
            a00.reduceLanes(VectorOperators.ADD), a01.reduceLanes(VectorOperators.ADD),
            a10.reduceLanes(VectorOperators.ADD), a11.reduceLanes(VectorOperators.ADD),
            a20.reduceLanes(VectorOperators.ADD), a21.reduceLanes(VectorOperators.ADD),
            a30.reduceLanes(VectorOperators.ADD), a31.reduceLanes(VectorOperators.ADD)
        };
        for (; c < cols; c++) {
            long off = base + (long) c * eb;
            float x0 = x[xo + c], x1 = x[xo + xs + c];
            for (int rr = 0; rr < 4; rr++) {
                float wv = loadScalar(kind, w, off + rr * rowBytes);
                s[2 * rr] += wv * x0;
                s[2 * rr + 1] += wv * x1;
            }
        }
        for (int rr = 0; rr < 4; rr++) {
            out[o + rr] = s[2 * rr];
            out[o + os + rr] = s[2 * rr + 1];
        }
    }

    private static void tile4x4(int kind, MemorySegment w, long base, long rowBytes, int cols, float[] x, int xo, int xs, float[] out, int o, int os) {
        int eb = elementBytes(kind);
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a10 = z, a11 = z, a12 = z, a13 = z;
        FloatVector a20 = z, a21 = z, a22 = z, a23 = z, a30 = z, a31 = z, a32 = z, a33 = z;
        int bound = F.loopBound(cols);
        int c = 0;
        for (; c < bound; c += L) {
            long off = base + (long) c * eb;
            FloatVector x0 = FloatVector.fromArray(F, x, xo + c);
            FloatVector x1 = FloatVector.fromArray(F, x, xo + xs + c);
            FloatVector x2 = FloatVector.fromArray(F, x, xo + 2 * xs + c);
            FloatVector x3 = FloatVector.fromArray(F, x, xo + 3 * xs + c);
            FloatVector w0 = load(kind, w, off);
            a00 = w0.fma(x0, a00);
            a01 = w0.fma(x1, a01);
            a02 = w0.fma(x2, a02);
            a03 = w0.fma(x3, a03);
            FloatVector w1 = load(kind, w, off + rowBytes);
            a10 = w1.fma(x0, a10);
            a11 = w1.fma(x1, a11);
            a12 = w1.fma(x2, a12);
            a13 = w1.fma(x3, a13);
            FloatVector w2 = load(kind, w, off + 2 * rowBytes);
            a20 = w2.fma(x0, a20);
            a21 = w2.fma(x1, a21);
            a22 = w2.fma(x2, a22);
            a23 = w2.fma(x3, a23);
            FloatVector w3 = load(kind, w, off + 3 * rowBytes);
            a30 = w3.fma(x0, a30);
            a31 = w3.fma(x1, a31);
            a32 = w3.fma(x2, a32);
            a33 = w3.fma(x3, a33);
        }
        float[] s = {
            a00.reduceLanes(VectorOperators.ADD), a01.reduceLanes(VectorOperators.ADD),
            a02.reduceLanes(VectorOperators.ADD), a03.reduceLanes(VectorOperators.ADD),
            a10.reduceLanes(VectorOperators.ADD), a11.reduceLanes(VectorOperators.ADD),
            a12.reduceLanes(VectorOperators.ADD), a13.reduceLanes(VectorOperators.ADD),
            a20.reduceLanes(VectorOperators.ADD), a21.reduceLanes(VectorOperators.ADD),
            a22.reduceLanes(VectorOperators.ADD), a23.reduceLanes(VectorOperators.ADD),
            a30.reduceLanes(VectorOperators.ADD), a31.reduceLanes(VectorOperators.ADD),
            a32.reduceLanes(VectorOperators.ADD), a33.reduceLanes(VectorOperators.ADD)
        };
        for (; c < cols; c++) {
            long off = base + (long) c * eb;
            for (int rr = 0; rr < 4; rr++) {
                float wv = loadScalar(kind, w, off + rr * rowBytes);
                for (int t = 0; t < 4; t++) {
                    s[4 * rr + t] += wv * x[xo + t * xs + c];
                }
            }
        }
        for (int rr = 0; rr < 4; rr++) {
            for (int t = 0; t < 4; t++) {
                out[o + t * os + rr] = s[4 * rr + t];
            }
        }
    }

    private static float dot(int kind, MemorySegment w, long off, float[] x, int xo, int n) {
        int eb = elementBytes(kind);
        FloatVector acc = FloatVector.zero(F);
        int bound = F.loopBound(n);
        int c = 0;
        for (; c < bound; c += L) {
            acc = load(kind, w, off + (long) c * eb).fma(FloatVector.fromArray(F, x, xo + c), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; c < n; c++) {
            s += loadScalar(kind, w, off + (long) c * eb) * x[xo + c];
        }
        return s;
    }

    static void widenF32(MemorySegment w, long off, float[] dst, int dstOff, int n) {
        MemorySegment.copy(w, Tensor.FLOAT_LE, off, dst, dstOff, n);
    }

    static void widenBF16(MemorySegment w, long off, float[] dst, int dstOff, int n) {
        widen(KIND_BF16, w, off, dst, dstOff, n);
    }

    static void widenF16(MemorySegment w, long off, float[] dst, int dstOff, int n) {
        widen(KIND_F16, w, off, dst, dstOff, n);
    }

    private static void widen(int kind, MemorySegment w, long off, float[] dst, int dstOff, int n) {
        int bound = F.loopBound(n);
        int c = 0;
        for (; c < bound; c += L) {
            load(kind, w, off + 2L * c).intoArray(dst, dstOff + c);
        }
        for (; c < n; c++) {
            dst[dstOff + c] = loadScalar(kind, w, off + 2L * c);
        }
    }

    // ---------------------------------------------------------------- vector helpers on activations

    /** Σ a[i]·b[i]. */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc = FloatVector.zero(F);
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            acc = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += a[aOff + i] * b[bOff + i];
        }
        return s;
    }

    /** y[i] += a·x[i]. */
    public static void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector.fromArray(F, x, xOff + i).fma(FloatVector.broadcast(F, a), FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += a * x[xOff + i];
        }
    }

    /** x[i] *= a. */
    public static void scale(float[] x, int off, int n, float a) {
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector.fromArray(F, x, off + i).mul(a).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] *= a;
        }
    }

    /** y[i] += x[i]. */
    public static void add(float[] x, int xOff, float[] y, int yOff, int n) {
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector.fromArray(F, y, yOff + i).add(FloatVector.fromArray(F, x, xOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += x[xOff + i];
        }
    }

    /**
     * RMSNorm: {@code out = w ⊙ x / sqrt(mean(x²) + eps)}, or {@code (1 + w) ⊙ …} when {@code onePlusWeight}
     * (Qwen3.5's zero-centred weights). The weight multiplies after normalising, as HF does.
     */
    public static void rmsNorm(float[] x, int xOff, float[] w, boolean onePlusWeight, float eps, float[] out, int outOff, int n) {
        FloatVector acc = FloatVector.zero(F);
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, xOff + i);
            acc = v.fma(v, acc);
        }
        float ss = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            ss += x[xOff + i] * x[xOff + i];
        }
        float inv = (float) (1.0 / Math.sqrt(ss / n + eps));
        i = 0;
        for (; i < bound; i += L) {
            FloatVector wv = FloatVector.fromArray(F, w, i);
            if (onePlusWeight) {
                wv = wv.add(1f);
            }
            wv.mul(FloatVector.fromArray(F, x, xOff + i).mul(inv)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            float wv = onePlusWeight ? 1f + w[i] : w[i];
            out[outOff + i] = wv * (x[xOff + i] * inv);
        }
    }

    /** In-place numerically stable softmax over {@code x[off .. off+n)}. */
    public static void softmax(float[] x, int off, int n) {
        float max = max(x, off, n);
        FloatVector sumV = FloatVector.zero(F);
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector e = FloatVector.fromArray(F, x, off + i).sub(max).lanewise(VectorOperators.EXP);
            e.intoArray(x, off + i);
            sumV = sumV.add(e);
        }
        float sum = sumV.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        scale(x, off, n, 1f / sum);
    }

    public static float max(float[] x, int off, int n) {
        FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            m = m.max(FloatVector.fromArray(F, x, off + i));
        }
        float r = m.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            r = Math.max(r, x[off + i]);
        }
        return r;
    }

    /** In-place SiLU: x·sigmoid(x). */
    public static void silu(float[] x, int off, int n) {
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, off + i);
            v.div(v.neg().lanewise(VectorOperators.EXP).add(1f)).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] = ScalarKernels.silu(x[off + i]);
        }
    }

    /** SwiGLU core: gate[i] = silu(gate[i]) · up[i]. */
    public static void siluMul(float[] gate, int gOff, float[] up, int uOff, int n) {
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector g = FloatVector.fromArray(F, gate, gOff + i);
            g.div(g.neg().lanewise(VectorOperators.EXP).add(1f))
                    .mul(FloatVector.fromArray(F, up, uOff + i))
                    .intoArray(gate, gOff + i);
        }
        for (; i < n; i++) {
            gate[gOff + i] = ScalarKernels.silu(gate[gOff + i]) * up[uOff + i];
        }
    }

    /** Index of the largest value (the first one on ties, as torch.argmax does). */
    public static int argmax(float[] x, int off, int n) {
        float max = max(x, off, n);
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            VectorMask<Float> hit = FloatVector.fromArray(F, x, off + i).compare(VectorOperators.EQ, max);
            if (hit.anyTrue()) {
                return i + hit.firstTrue();
            }
        }
        for (; i < n; i++) {
            if (x[off + i] == max) {
                return i;
            }
        }
        // Only NaNs: fall back to the scalar rule.
        return ScalarKernels.argmax(x, off, n);
    }

    /**
     * Rotate-half RoPE on one head: pairs (i, i + R/2) for i < R/2 with precomputed cos/sin of this position;
     * dimensions R .. headDim-1 are untouched (partial rotary).
     */
    public static void rope(float[] x, int off, float[] cos, float[] sin, int halfRotary) {
        rope(x, off, cos, sin, 0, halfRotary);
    }

    /** As {@link #rope(float[], int, float[], float[], int)} with the angles at {@code cos/sin[tableOff ..]}. */
    public static void rope(float[] x, int off, float[] cos, float[] sin, int tableOff, int halfRotary) {
        int bound = F.loopBound(halfRotary);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector a = FloatVector.fromArray(F, x, off + i);
            FloatVector b = FloatVector.fromArray(F, x, off + halfRotary + i);
            FloatVector c = FloatVector.fromArray(F, cos, tableOff + i);
            FloatVector s = FloatVector.fromArray(F, sin, tableOff + i);
            a.mul(c).sub(b.mul(s)).intoArray(x, off + i);
            b.mul(c).add(a.mul(s)).intoArray(x, off + halfRotary + i);
        }
        for (; i < halfRotary; i++) {
            float a = x[off + i];
            float b = x[off + halfRotary + i];
            float c = cos[tableOff + i];
            float sn = sin[tableOff + i];
            x[off + i] = a * c - b * sn;
            x[off + halfRotary + i] = b * c + a * sn;
        }
    }

    // ---------------------------------------------------------------- state-space (Mamba2) helpers

    /** y[i] += a[i]·b[i] (the depthwise conv: one kernel tap across all channels). */
    public static void mulAdd(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int n) {
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), FloatVector.fromArray(F, y, yOff + i))
                    .intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += a[aOff + i] * b[bOff + i];
        }
    }

    /**
     * The Mamba2 decode update of one state row: {@code s[i] = s[i]·decay + b·x[i]}. A multiply then an add (no
     * fma), because HF forms {@code dBx = (dt·B)·x} as its own tensor before {@code S·dA + dBx}.
     */
    public static void decayUpdate(float[] s, int sOff, float decay, float b, float[] x, int xOff, int n) {
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector bx = FloatVector.fromArray(F, x, xOff + i).mul(b);
            FloatVector.fromArray(F, s, sOff + i).mul(decay).add(bx).intoArray(s, sOff + i);
        }
        for (; i < n; i++) {
            s[sOff + i] = s[sOff + i] * decay + b * x[xOff + i];
        }
    }

    /**
     * One row i of the SSD intra-chunk matrix: {@code out[j] = cb[j] · exp(seg[j]) · dt[j]} for j < n, where
     * {@code seg[j]} is the segment sum of {@code A·dt} over (j, i]. The caller passes only j ≤ i, so the exponent
     * is never positive (the masked entries are never evaluated and cannot overflow).
     */
    public static void decayRow(float[] cb, int cbOff, float[] seg, int segOff, float[] dt, int dtOff, float[] out, int outOff, int n) {
        int bound = F.loopBound(n);
        int j = 0;
        for (; j < bound; j += L) {
            FloatVector e = FloatVector.fromArray(F, seg, segOff + j).lanewise(VectorOperators.EXP);
            e = e.blend(0f, e.compare(VectorOperators.LT, NEGLIGIBLE));
            FloatVector.fromArray(F, cb, cbOff + j).mul(e).mul(FloatVector.fromArray(F, dt, dtOff + j)).intoArray(out, outOff + j);
        }
        for (; j < n; j++) {
            out[outOff + j] = cb[cbOff + j] * ScalarKernels.flushNegligible((float) Math.exp(seg[segOff + j])) * dt[dtOff + j];
        }
    }

    /**
     * Decay factor below which a term counts as fully decayed (exactly zero). Strongly decaying Mamba heads produce
     * factors like exp(−100), subnormal in fp32; arithmetic on subnormals runs through microcode assists, tens of
     * times slower, and Java cannot set flush-to-zero. A term scaled by less than 1e-30 relative to an undecayed one
     * is invisible in fp32. The test is on the decay factor alone, so it does not depend on the activations' scale.
     */
    public static final float NEGLIGIBLE = ScalarKernels.NEGLIGIBLE;

    /**
     * A weighted sum of rows: {@code out[p] = beta·out[p] + Σ_r coef[r]·m[mOff + r·stride + p]} for p < width
     * ({@code beta == 0} overwrites without reading out). Four vectors of out stay in registers while the rows
     * stream past, so there is no horizontal reduction and no store per row; this is every state-space product
     * of the Mamba2 scan (read-out C·S, intra-chunk M·X, state update B·X).
     */
    public static void weightedRows(float beta, float[] out, int outOff, int width, float[] coef, int coefOff, int rows,
                                    float[] m, int mOff, int stride) {
        int p = 0;
        for (; p + 4 * L <= width; p += 4 * L) {
            FloatVector a0, a1, a2, a3;
            if (beta == 0f) {
                a0 = FloatVector.zero(F);
                a1 = a0;
                a2 = a0;
                a3 = a0;
            } else {
                a0 = FloatVector.fromArray(F, out, outOff + p).mul(beta);
                a1 = FloatVector.fromArray(F, out, outOff + p + L).mul(beta);
                a2 = FloatVector.fromArray(F, out, outOff + p + 2 * L).mul(beta);
                a3 = FloatVector.fromArray(F, out, outOff + p + 3 * L).mul(beta);
            }
            for (int r = 0; r < rows; r++) {
                FloatVector c = FloatVector.broadcast(F, coef[coefOff + r]);
                int o = mOff + r * stride + p;
                a0 = FloatVector.fromArray(F, m, o).fma(c, a0);
                a1 = FloatVector.fromArray(F, m, o + L).fma(c, a1);
                a2 = FloatVector.fromArray(F, m, o + 2 * L).fma(c, a2);
                a3 = FloatVector.fromArray(F, m, o + 3 * L).fma(c, a3);
            }
            a0.intoArray(out, outOff + p);
            a1.intoArray(out, outOff + p + L);
            a2.intoArray(out, outOff + p + 2 * L);
            a3.intoArray(out, outOff + p + 3 * L);
        }
        for (; p + L <= width; p += L) {
            FloatVector a = beta == 0f ? FloatVector.zero(F) : FloatVector.fromArray(F, out, outOff + p).mul(beta);
            for (int r = 0; r < rows; r++) {
                a = FloatVector.fromArray(F, m, mOff + r * stride + p).fma(FloatVector.broadcast(F, coef[coefOff + r]), a);
            }
            a.intoArray(out, outOff + p);
        }
        for (; p < width; p++) {
            float a = beta == 0f ? 0f : out[outOff + p] * beta;
            for (int r = 0; r < rows; r++) {
                a += coef[coefOff + r] * m[mOff + r * stride + p];
            }
            out[outOff + p] = a;
        }
    }

    /**
     * Four weighted sums over the same rows at once: for u in 0..3,
     * {@code out[outOff + u·outStride + p] = beta·out[..] + Σ_r coef[coefOff + u·coefStride + r]·m[mOff + r·stride + p]}.
     * Each row vector is loaded once for four outputs and the eight accumulators are independent, so the products
     * run at FMA throughput instead of waiting on one accumulator's latency: this is the register tiling that makes
     * the SSD block products (read-out, intra-block, state update) cheaper than the token-by-token recurrence.
     */
    public static void weightedRows4(float beta, float[] out, int outOff, int outStride, int width, float[] coef, int coefOff,
                                     int coefStride, int rows, float[] m, int mOff, int stride) {
        int o0 = outOff, o1 = outOff + outStride, o2 = outOff + 2 * outStride, o3 = outOff + 3 * outStride;
        int c0 = coefOff, c1 = coefOff + coefStride, c2 = coefOff + 2 * coefStride, c3 = coefOff + 3 * coefStride;
        int p = 0;
        for (; p + 2 * L <= width; p += 2 * L) {
            FloatVector a00, a01, a10, a11, a20, a21, a30, a31;
            if (beta == 0f) {
                a00 = FloatVector.zero(F);
                a01 = a00; a10 = a00; a11 = a00; a20 = a00; a21 = a00; a30 = a00; a31 = a00;
            } else {
                a00 = FloatVector.fromArray(F, out, o0 + p).mul(beta);
                a01 = FloatVector.fromArray(F, out, o0 + p + L).mul(beta);
                a10 = FloatVector.fromArray(F, out, o1 + p).mul(beta);
                a11 = FloatVector.fromArray(F, out, o1 + p + L).mul(beta);
                a20 = FloatVector.fromArray(F, out, o2 + p).mul(beta);
                a21 = FloatVector.fromArray(F, out, o2 + p + L).mul(beta);
                a30 = FloatVector.fromArray(F, out, o3 + p).mul(beta);
                a31 = FloatVector.fromArray(F, out, o3 + p + L).mul(beta);
            }
            for (int r = 0; r < rows; r++) {
                int o = mOff + r * stride + p;
                FloatVector m0 = FloatVector.fromArray(F, m, o);
                FloatVector m1 = FloatVector.fromArray(F, m, o + L);
                FloatVector b0 = FloatVector.broadcast(F, coef[c0 + r]);
                a00 = m0.fma(b0, a00);
                a01 = m1.fma(b0, a01);
                FloatVector b1 = FloatVector.broadcast(F, coef[c1 + r]);
                a10 = m0.fma(b1, a10);
                a11 = m1.fma(b1, a11);
                FloatVector b2 = FloatVector.broadcast(F, coef[c2 + r]);
                a20 = m0.fma(b2, a20);
                a21 = m1.fma(b2, a21);
                FloatVector b3 = FloatVector.broadcast(F, coef[c3 + r]);
                a30 = m0.fma(b3, a30);
                a31 = m1.fma(b3, a31);
            }
            a00.intoArray(out, o0 + p);
            a01.intoArray(out, o0 + p + L);
            a10.intoArray(out, o1 + p);
            a11.intoArray(out, o1 + p + L);
            a20.intoArray(out, o2 + p);
            a21.intoArray(out, o2 + p + L);
            a30.intoArray(out, o3 + p);
            a31.intoArray(out, o3 + p + L);
        }
        if (p < width) {
            // Narrow heads or a tail: one output at a time.
            int rest = width - p;
            weightedRows(beta, out, o0 + p, rest, coef, c0, rows, m, mOff + p, stride);
            weightedRows(beta, out, o1 + p, rest, coef, c1, rows, m, mOff + p, stride);
            weightedRows(beta, out, o2 + p, rest, coef, c2, rows, m, mOff + p, stride);
            weightedRows(beta, out, o3 + p, rest, coef, c3, rows, m, mOff + p, stride);
        }
    }

    // ---------------------------------------------------------------- Gated DeltaNet / gated attention helpers


    /** x[i] *= sigmoid(gate[i]) (Qwen3.5's attention output gate). */
    public static void sigmoidMul(float[] gate, int gOff, float[] x, int xOff, int n) {
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector g = FloatVector.fromArray(F, gate, gOff + i);
            FloatVector sig = FloatVector.broadcast(F, 1f).div(g.neg().lanewise(VectorOperators.EXP).add(1f));
            FloatVector.fromArray(F, x, xOff + i).mul(sig).intoArray(x, xOff + i);
        }
        for (; i < n; i++) {
            x[xOff + i] *= ScalarKernels.sigmoid(gate[gOff + i]);
        }
    }

    /**
     * {@code out[outOff + j] = exp(c[i] − c[j])} for {@code j = 0 .. i}: one row of the chunked delta rule's decay
     * mask. Only {@code j ≤ i} is evaluated, where the cumulative log-decays make the exponent ≤ 0.
     */
    public static void expDiff(float[] c, int i, float[] out, int outOff) {
        int n = i + 1;
        int bound = F.loopBound(n);
        FloatVector ci = FloatVector.broadcast(F, c[i]);
        int j = 0;
        for (; j < bound; j += L) {
            ci.sub(FloatVector.fromArray(F, c, j)).lanewise(VectorOperators.EXP).intoArray(out, outOff + j);
        }
        for (; j < n; j++) {
            out[outOff + j] = (float) Math.exp(c[i] - c[j]);
        }
    }

    /**
     * Small dense product on activations, all row-major: {@code C[i][0..cols) (+)= Σ_k A[i][k]·B[k][0..cols)} for
     * {@code i < rows}, {@code k < kdim}. Register tiles of 4 rows × 2 vectors reuse every loaded B vector for four
     * rows and every broadcast A element for two vectors. Used by the chunked delta rule (state reads, state update,
     * the blocked triangular solve), where B is a state or a chunk of value rows that sits in cache.
     */
    public static void gemm(float[] a, int aOff, int aStride, int rows, int kdim,
                            float[] b, int bOff, int bStride, int cols,
                            float[] c, int cOff, int cStride, boolean accumulate) {
        int i = 0;
        for (; i + 4 <= rows; i += 4) {
            int a0 = aOff + i * aStride;
            int c0 = cOff + i * cStride;
            int j = 0;
            for (; j + 2 * L <= cols; j += 2 * L) {
                gemmTile4x2(a, a0, aStride, kdim, b, bOff + j, bStride, c, c0 + j, cStride, accumulate);
            }
            for (; j + L <= cols; j += L) {
                gemmTile4x1(a, a0, aStride, kdim, b, bOff + j, bStride, c, c0 + j, cStride, accumulate);
            }
            for (; j < cols; j++) {
                for (int r = 0; r < 4; r++) {
                    float s = accumulate ? c[c0 + r * cStride + j] : 0f;
                    for (int k = 0; k < kdim; k++) {
                        s += a[a0 + r * aStride + k] * b[bOff + k * bStride + j];
                    }
                    c[c0 + r * cStride + j] = s;
                }
            }
        }
        for (; i < rows; i++) {
            int a0 = aOff + i * aStride;
            int c0 = cOff + i * cStride;
            if (!accumulate) {
                java.util.Arrays.fill(c, c0, c0 + cols, 0f);
            }
            for (int k = 0; k < kdim; k++) {
                axpy(a[a0 + k], b, bOff + k * bStride, c, c0, cols);
            }
        }
    }

    private static void gemmTile4x2(float[] a, int a0, int as, int kdim, float[] b, int b0, int bs,
                                    float[] c, int c0, int cs, boolean accumulate) {
        FloatVector z = FloatVector.zero(F);
        FloatVector x00 = z, x01 = z, x10 = z, x11 = z, x20 = z, x21 = z, x30 = z, x31 = z;
        if (accumulate) {
            x00 = FloatVector.fromArray(F, c, c0);
            x01 = FloatVector.fromArray(F, c, c0 + L);
            x10 = FloatVector.fromArray(F, c, c0 + cs);
            x11 = FloatVector.fromArray(F, c, c0 + cs + L);
            x20 = FloatVector.fromArray(F, c, c0 + 2 * cs);
            x21 = FloatVector.fromArray(F, c, c0 + 2 * cs + L);
            x30 = FloatVector.fromArray(F, c, c0 + 3 * cs);
            x31 = FloatVector.fromArray(F, c, c0 + 3 * cs + L);
        }
        for (int k = 0; k < kdim; k++) {
            int bo = b0 + k * bs;
            FloatVector v0 = FloatVector.fromArray(F, b, bo);
            FloatVector v1 = FloatVector.fromArray(F, b, bo + L);
            FloatVector s = FloatVector.broadcast(F, a[a0 + k]);
            x00 = v0.fma(s, x00);
            x01 = v1.fma(s, x01);
            s = FloatVector.broadcast(F, a[a0 + as + k]);
            x10 = v0.fma(s, x10);
            x11 = v1.fma(s, x11);
            s = FloatVector.broadcast(F, a[a0 + 2 * as + k]);
            x20 = v0.fma(s, x20);
            x21 = v1.fma(s, x21);
            s = FloatVector.broadcast(F, a[a0 + 3 * as + k]);
            x30 = v0.fma(s, x30);
            x31 = v1.fma(s, x31);
        }
        x00.intoArray(c, c0);
        x01.intoArray(c, c0 + L);
        x10.intoArray(c, c0 + cs);
        x11.intoArray(c, c0 + cs + L);
        x20.intoArray(c, c0 + 2 * cs);
        x21.intoArray(c, c0 + 2 * cs + L);
        x30.intoArray(c, c0 + 3 * cs);
        x31.intoArray(c, c0 + 3 * cs + L);
    }

    private static void gemmTile4x1(float[] a, int a0, int as, int kdim, float[] b, int b0, int bs,
                                    float[] c, int c0, int cs, boolean accumulate) {
        FloatVector z = FloatVector.zero(F);
        FloatVector x0 = z, x1 = z, x2 = z, x3 = z;
        if (accumulate) {
            x0 = FloatVector.fromArray(F, c, c0);
            x1 = FloatVector.fromArray(F, c, c0 + cs);
            x2 = FloatVector.fromArray(F, c, c0 + 2 * cs);
            x3 = FloatVector.fromArray(F, c, c0 + 3 * cs);
        }
        for (int k = 0; k < kdim; k++) {
            FloatVector v = FloatVector.fromArray(F, b, b0 + k * bs);
            x0 = v.fma(FloatVector.broadcast(F, a[a0 + k]), x0);
            x1 = v.fma(FloatVector.broadcast(F, a[a0 + as + k]), x1);
            x2 = v.fma(FloatVector.broadcast(F, a[a0 + 2 * as + k]), x2);
            x3 = v.fma(FloatVector.broadcast(F, a[a0 + 3 * as + k]), x3);
        }
        x0.intoArray(c, c0);
        x1.intoArray(c, c0 + cs);
        x2.intoArray(c, c0 + 2 * cs);
        x3.intoArray(c, c0 + 3 * cs);
    }

    /**
     * One token of the gated delta rule on one value head's state {@code S} ({@code dk × dv}, row-major, rows = key
     * dimension), in Hugging Face's recurrent order:
     * <pre>
     * S ← S · decay;  mem = Sᵀk;  d = (v − mem) · beta;  S ← S + k ⊗ d;  out = Sᵀq
     * </pre>
     * Works one strip of L value columns at a time so both passes over that strip (decay + read, update + read-out)
     * run while it sits in L1, with the column sums in registers.
     */
    public static void deltaStep(float[] s, int sOff, int dk, int dv, float decay, float beta,
                                 float[] q, int qOff, float[] k, int kOff, float[] v, int vOff, float[] out, int outOff) {
        int bound = F.loopBound(dv);
        int c = 0;
        for (; c < bound; c += L) {
            FloatVector mem = FloatVector.zero(F);
            for (int r = 0; r < dk; r++) {
                int o = sOff + r * dv + c;
                FloatVector sv = FloatVector.fromArray(F, s, o).mul(decay);
                sv.intoArray(s, o);
                mem = sv.fma(FloatVector.broadcast(F, k[kOff + r]), mem);
            }
            FloatVector d = FloatVector.fromArray(F, v, vOff + c).sub(mem).mul(beta);
            FloatVector acc = FloatVector.zero(F);
            for (int r = 0; r < dk; r++) {
                int o = sOff + r * dv + c;
                FloatVector sv = d.fma(FloatVector.broadcast(F, k[kOff + r]), FloatVector.fromArray(F, s, o));
                sv.intoArray(s, o);
                acc = sv.fma(FloatVector.broadcast(F, q[qOff + r]), acc);
            }
            acc.intoArray(out, outOff + c);
        }
        for (; c < dv; c++) {
            float mem = 0f;
            for (int r = 0; r < dk; r++) {
                int o = sOff + r * dv + c;
                s[o] *= decay;
                mem += s[o] * k[kOff + r];
            }
            float d = (v[vOff + c] - mem) * beta;
            float acc = 0f;
            for (int r = 0; r < dk; r++) {
                int o = sOff + r * dv + c;
                s[o] += k[kOff + r] * d;
                acc += s[o] * q[qOff + r];
            }
            out[outOff + c] = acc;
        }
    }
}
