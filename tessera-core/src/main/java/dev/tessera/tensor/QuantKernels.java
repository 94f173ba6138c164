package dev.tessera.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
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
 * next to the O(rows·cols) product. Each block's 16 bytes are loaded once, sign-extended to int lanes (x86 has no
 * byte shift) and both nibbles taken from them; the −8 offset is folded into the scale fma.
 *
 * <p>JIT notes (measured): the weight loaders stay under 35 bytecodes so C2 inlines them regardless of profile,
 * int8 and int4 have separate tiles, and int4 tiles take 2 rows, because a tile whose inlined Vector API code
 * exceeds C2's node budget keeps real calls that box vectors (0.4 GB/s instead of 3.5).
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
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    /** Weight vectors per block of 32. */
    private static final int VPB = BLOCK / L;
    /** Int4: vectors per half block (16 bytes hold 32 nibbles). */
    private static final int CH = 16 / L;
    private static final int TOKEN_TILE = L >= 16 ? 4 : 2;
    /** Rows per one-token tile ({@link #q8tile8x1}). */
    private static final int DECODE_ROWS = 8;
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

    /** Row r of an int8 plane whose first {@code tiledRows} rows are tiled ({@link Q8Matrix}), dequantized into dst. */
    static void rowQ8(MemorySegment q, MemorySegment scales, int cols, int tiledRows, int r, float[] dst, int dstOff) {
        int spr = scalesPerRow(cols);
        for (int c = 0; c < cols; c++) {
            dst[dstOff + c] = q8Value(q, tiledRows, cols, r, c) * scale(scales, q8ScaleIndex(tiledRows, spr, r, c / BLOCK));
        }
    }

    // ---------------------------------------------------------------- int8 layout

    /** Rows per tile of the tiled int8 layout ({@link Q8Matrix}). */
    public static final int TILE_ROWS = 8;

    /**
     * Byte offset of column 0 of row r in an int8 plane whose first {@code tiledRows} rows (a multiple of
     * {@link #TILE_ROWS}) are tiled: in a tile, each 32-column block holds the block of its 8 rows one after the
     * other; the rows after the tiles are plain rows. Column {@code c < cols / 32 * 32} of the row is at
     * {@code q8Base + (c / 32) · q8Step + c % 32}; later columns (a partial last block) at {@code q8TailBase + c}.
     */
    static long q8Base(int tiledRows, int cols, int r) {
        return r < tiledRows ? (long) (r & -TILE_ROWS) * cols + (r & (TILE_ROWS - 1)) * BLOCK : (long) r * cols;
    }

    /** Bytes from one 32-column block of row r to its next. */
    static long q8Step(int tiledRows, int r) {
        return r < tiledRows ? TILE_ROWS * BLOCK : BLOCK;
    }

    /** The int8 value at (r, c) of a plane whose first {@code tiledRows} rows are tiled (scalar paths). */
    static int q8Value(MemorySegment q, int tiledRows, int cols, int r, int c) {
        int full = cols / BLOCK * BLOCK;
        long at = c < full ? q8Base(tiledRows, cols, r) + (c / BLOCK) * q8Step(tiledRows, r) + c % BLOCK
                : q8TailBase(tiledRows, cols, r) + c;
        return q.get(java.lang.foreign.ValueLayout.JAVA_BYTE, at);
    }

    /** Column {@code c} of the partial last block of row r is at {@code q8TailBase + c}. */
    static long q8TailBase(int tiledRows, int cols, int r) {
        if (r >= tiledRows) {
            return (long) r * cols;
        }
        int full = cols / BLOCK * BLOCK;
        return (long) (r & -TILE_ROWS) * cols + (long) full * TILE_ROWS + (r & (TILE_ROWS - 1)) * (cols - full) - full;
    }

    /**
     * Index of the scale of block {@code b} of row {@code r} when the first {@code tiledRows} rows are tiled: a tile
     * keeps its scales block by block like its values (block 0 of rows 0..7, block 1 of rows 0..7, ...), so the
     * decode tile widens them with one contiguous copy and reads them at a constant stride (which lets C2 drop the
     * array bounds checks from the block loop); plain rows keep theirs row by row.
     */
    static long q8ScaleIndex(int tiledRows, int spr, int r, int b) {
        return r < tiledRows ? (long) (r & -TILE_ROWS) * spr + (long) b * TILE_ROWS + (r & (TILE_ROWS - 1))
                : (long) r * spr + b;
    }

    /**
     * Copies a row-major fp16 scale plane of {@code [rows, spr]} into the tiled order ({@link #q8ScaleIndex};
     * {@code src} and {@code dst} may be the same segment).
     */
    static void tileScales(MemorySegment src, MemorySegment dst, int rows, int spr) {
        int tiles = rows / TILE_ROWS;
        int perTask = 256;
        java.util.stream.IntStream.range(0, (tiles + perTask - 1) / perTask).parallel().forEach(k -> {
            short[] in = new short[TILE_ROWS * spr];
            short[] outs = new short[TILE_ROWS * spr];
            for (int t = k * perTask; t < Math.min(tiles, (k + 1) * perTask); t++) {
                long at = (long) t * TILE_ROWS * spr;
                MemorySegment.copy(src, Tensor.SHORT_LE, at * 2, in, 0, in.length);
                for (int j = 0; j < TILE_ROWS; j++) {
                    for (int b = 0; b < spr; b++) {
                        outs[b * TILE_ROWS + j] = in[j * spr + b];
                    }
                }
                MemorySegment.copy(outs, 0, dst, Tensor.SHORT_LE, at * 2, outs.length);
            }
        });
        long done = (long) tiles * TILE_ROWS * spr * 2;
        if (src != dst && done < (long) rows * spr * 2) {
            MemorySegment.copy(src, done, dst, done, (long) rows * spr * 2 - done);
        }
    }

    /**
     * Copies a row-major int8 plane of {@code [rows, cols]} into the tiled layout ({@code src} and {@code dst} may be
     * the same segment: each tile is read whole before it is written).
     */
    static void tile(MemorySegment src, MemorySegment dst, int rows, int cols) {
        int tiles = rows / TILE_ROWS;
        int full = cols / BLOCK * BLOCK;
        int perTask = 64;  // tiles per task: two tile buffers per task, not per tile
        java.util.stream.IntStream.range(0, (tiles + perTask - 1) / perTask).parallel().forEach(k -> {
            byte[] in = new byte[TILE_ROWS * cols];
            byte[] outb = new byte[TILE_ROWS * cols];
            for (int t = k * perTask; t < Math.min(tiles, (k + 1) * perTask); t++) {
                long at = (long) t * TILE_ROWS * cols;
                MemorySegment.copy(src, java.lang.foreign.ValueLayout.JAVA_BYTE, at, in, 0, in.length);
                int o = 0;
                for (int b = 0; b < full; b += BLOCK) {
                    for (int j = 0; j < TILE_ROWS; j++) {
                        System.arraycopy(in, j * cols + b, outb, o, BLOCK);
                        o += BLOCK;
                    }
                }
                for (int j = 0; j < TILE_ROWS; j++) {
                    System.arraycopy(in, j * cols + full, outb, o, cols - full);
                    o += cols - full;
                }
                MemorySegment.copy(outb, 0, dst, java.lang.foreign.ValueLayout.JAVA_BYTE, at, outb.length);
            }
        });
        long done = (long) tiles * TILE_ROWS * cols;
        if (src != dst && done < (long) rows * cols) {
            MemorySegment.copy(src, done, dst, done, (long) rows * cols - done);
        }
    }

    // ---------------------------------------------------------------- products

    static void matmulQ8(MemorySegment q, MemorySegment scales, int cols, int tiledRows, float[] x, int xOff, int xStride,
                         int n, float[] out, int outOff, int outStride, int rowFrom, int rowTo) {
        if (!SIMD) {
            scalarMatmulQ8(q, scales, cols, tiledRows, x, xOff, xStride, n, out, outOff, outStride, rowFrom, rowTo);
            return;
        }
        if (PanelGemm.worthIt(n)) {
            PanelGemm.matmulQ8(q, scales, cols, tiledRows, x, xOff, xStride, n, out, outOff, outStride, rowFrom, rowTo);
            return;
        }
        matmul(KIND_Q8, q, scales, cols, tiledRows, x, xOff, xStride, x, xOff, xStride, n, out, outOff, outStride, rowFrom, rowTo);
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
        matmul(KIND_Q4, q, scales, cols, 0, xp, 0, full, x, xOff, xStride, n, out, outOff, outStride, rowFrom, rowTo);
    }

    /**
     * Int8: decode uses 8-row tiles ({@link #q8tile8x1}; independent fma chains; one tile of the tiled layout, so one
     * sequential weight stream) and a
     * 4-row tile for what is left of the range; the 2-to-15-token prefill tiles use 2 rows ×
     * {@link #TOKEN_TILE} inputs (8 accumulators on AVX-512, 4 on AVX2), since a 4 × 4 tile's inlined Vector API
     * code exceeds C2's node budget and runs ~10× slower (measured). Full blocks read activations from {@code xb} (the de-interleaved copy for Q4), the partial last
     * block from the original {@code xt}. Int8 and int4 have separate tile code: one method holding both formats'
     * vector code grows past C2's inlining node budget (a weight load left as a real call boxes its vectors and runs
     * an order of magnitude slower).
     */
    private static void matmul(int kind, MemorySegment q, MemorySegment scales, int cols, int tiledRows,
                               float[] xb, int xbOff, int xbStride, float[] xt, int xtOff, int xtStride, int n,
                               float[] out, int outOff, int outStride, int rowFrom, int rowTo) {
        if (kind == KIND_Q4) {
            matmulQ4Tiles(q, scales, cols, xb, xbOff, xbStride, xt, xtOff, xtStride, n, out, outOff, outStride, rowFrom, rowTo);
            return;
        }
        int spr = scalesPerRow(cols);
        float[] sc = scaleBuffer(DECODE_ROWS * spr);
        int r = rowFrom;
        if (n == 1) {
            // A tiled 8-row tile starts on a tile boundary. Work is split on 8-row boundaries of the whole fused
            // product, so a matrix whose rows start off a multiple of 8 in it gets up to 7 rows here first.
            for (; r < rowTo && r < tiledRows && (r & (TILE_ROWS - 1)) != 0; r++) {
                out[outOff + r] = q8dot(q, scales, cols, tiledRows, r, xb, xbOff, xt, xtOff);
            }
            for (; r + DECODE_ROWS <= rowTo; r += DECODE_ROWS) {
                widenTileScales(scales, tiledRows, spr, r, sc);
                q8tile8x1(q, scales, sc, cols, tiledRows, r, xb, xbOff, xt, xtOff, out, outOff + r);
            }
        }
        for (; r + 4 <= rowTo; r += 4) {
            widenScalesByRow(scales, tiledRows, spr, r, 4, sc);
            int t = 0;
            if (TOKEN_TILE == 4) {
                for (; t + 4 <= n; t += 4) {
                    int xo = xbOff + t * xbStride, to = xtOff + t * xtStride, o = outOff + t * outStride + r;
                    q8tile2x4(q, scales, sc, 0, cols, tiledRows, r, xb, xo, xbStride, xt, to, xtStride, out, o, outStride);
                    q8tile2x4(q, scales, sc, 2 * spr, cols, tiledRows, r + 2, xb, xo, xbStride, xt, to, xtStride, out, o + 2, outStride);
                }
            }
            for (; t + 2 <= n; t += 2) {
                int xo = xbOff + t * xbStride, to = xtOff + t * xtStride, o = outOff + t * outStride + r;
                q8tile2x2(q, scales, sc, 0, cols, tiledRows, r, xb, xo, xbStride, xt, to, xtStride, out, o, outStride);
                q8tile2x2(q, scales, sc, 2 * spr, cols, tiledRows, r + 2, xb, xo, xbStride, xt, to, xtStride, out, o + 2, outStride);
            }
            for (; t < n; t++) {
                int xo = xbOff + t * xbStride, to = xtOff + t * xtStride, o = outOff + t * outStride + r;
                q8tile4x1(q, scales, sc, 0, cols, tiledRows, r, xb, xo, xt, to, out, o);
            }
        }
        for (; r < rowTo; r++) {
            for (int t = 0; t < n; t++) {
                int xo = xbOff + t * xbStride, to = xtOff + t * xtStride;
                out[outOff + t * outStride + r] = q8dot(q, scales, cols, tiledRows, r, xb, xo, xt, to);
            }
        }
    }

    private static float tailDot(int kind, MemorySegment q, long rowBase, MemorySegment scales, long sBase, int from, int cols, float[] x, int xo) {
        float s = 0;
        for (int c = from; c < cols; c++) {
            s += quant(kind, q, rowBase, c) * scale(scales, sBase + c / BLOCK) * x[xo + c];
        }
        return s;
    }

    // ---------------------------------------------------------------- scales

    private static final ThreadLocal<float[]> SCALES = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<short[]> SCALE_BITS = ThreadLocal.withInitial(() -> new short[0]);

    static float[] scaleBuffer(int n) {
        float[] sc = SCALES.get();
        if (sc.length < n) {
            sc = new float[n];
            SCALES.set(sc);
        }
        return sc;
    }

    /**
     * The fp16 scales of a tile's rows widened once into {@code dst} (one bulk copy and a loop C2 vectorises), so the
     * block loop broadcasts an array element. Reading and converting each scale from the segment inside the block
     * loop cost 40 % of int8 and 90 % of int4 decode time (measured by replacing them with a constant).
     */
    static void widenScales(MemorySegment scales, long first, int n, float[] dst) {
        widenScales(scales, first, n, dst, 0);
    }

    /** {@link #widenScales} into {@code dst} from {@code dstOff}. */
    static void widenScales(MemorySegment scales, long first, int n, float[] dst, int dstOff) {
        short[] bits = SCALE_BITS.get();
        if (bits.length < n) {
            bits = new short[n];
            SCALE_BITS.set(bits);
        }
        MemorySegment.copy(scales, Tensor.SHORT_LE, first * 2, bits, 0, n);
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = Float.float16ToFloat(bits[i]);
        }
    }

    private static final ThreadLocal<float[]> TILE_SCALES = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * The scales of rows {@code [r, r + n)} of an int8 plane (first {@code tiledRows} rows tiled) widened row by row:
     * {@code dst[j·spr + b]} is block b of row r + j. Tiled rows are widened with the tiles around them in one bulk
     * conversion and then picked out (the prefill panels stage the scales of every row of a matrix this way).
     */
    static void widenScalesByRow(MemorySegment scales, int tiledRows, int spr, int r, int n, float[] dst) {
        int tiledEnd = Math.min(r + n, tiledRows);
        if (r < tiledEnd) {
            int t0 = r & -TILE_ROWS;
            int t1 = (tiledEnd + TILE_ROWS - 1) & -TILE_ROWS;
            float[] tmp = TILE_SCALES.get();
            if (tmp.length < (t1 - t0) * spr) {
                tmp = new float[(t1 - t0) * spr];
                TILE_SCALES.set(tmp);
            }
            widenScales(scales, (long) t0 * spr, (t1 - t0) * spr, tmp);
            for (int j = 0; j < tiledEnd - r; j++) {
                int row = r + j;
                int at = ((row & -TILE_ROWS) - t0) * spr + (row & (TILE_ROWS - 1));
                for (int b = 0; b < spr; b++) {
                    dst[j * spr + b] = tmp[at + b * TILE_ROWS];
                }
            }
        }
        int plain = Math.max(r, tiledEnd);
        if (plain < r + n) {
            widenScales(scales, (long) plain * spr, (r + n - plain) * spr, dst, (plain - r) * spr);
        }
    }

    /**
     * The scales of the 8 rows from {@code r} widened block by block, {@code dst[8b + j]} for block b of row r + j
     * ({@link #q8tile8x1}): one contiguous copy for a tile; a row-major plane (tests, benchmarks on plain planes) is
     * transposed on the way.
     */
    static void widenTileScales(MemorySegment scales, int tiledRows, int spr, int r, float[] dst) {
        if (r < tiledRows) {
            widenScales(scales, (long) r * spr, DECODE_ROWS * spr, dst);
            return;
        }
        for (int j = 0; j < DECODE_ROWS; j++) {
            for (int b = 0; b < spr; b++) {
                dst[b * DECODE_ROWS + j] = scale(scales, (long) (r + j) * spr + b);
            }
        }
    }

    // ---------------------------------------------------------------- int8

    /**
     * The int8 weight vector at byte offset {@code off}, dequantized with the broadcast scale. The loaders are kept
     * under 35 bytes of bytecode so C2 inlines them at every call site whatever its profile says (MaxInlineSize); a
     * loader left as a call boxes its vectors and runs an order of magnitude slower.
     */
    static FloatVector q8(MemorySegment q, long off, FloatVector sv) {
        return ((FloatVector) ByteVector.fromMemorySegment(B, q, off, LE).convertShape(VectorOperators.B2F, F, 0)).mul(sv);
    }

    private static void q8tile4x1(MemorySegment q, MemorySegment scales, float[] sc, int so, int cols, int tiledRows,
                                  int r, float[] xb, int xbo, float[] xt, int xto, float[] out, int o) {
        int spr = scalesPerRow(cols);
        long b0 = q8Base(tiledRows, cols, r), b1 = q8Base(tiledRows, cols, r + 1);
        long b2 = q8Base(tiledRows, cols, r + 2), b3 = q8Base(tiledRows, cols, r + 3);
        long t0 = q8Step(tiledRows, r), t1 = q8Step(tiledRows, r + 1), t2 = q8Step(tiledRows, r + 2), t3 = q8Step(tiledRows, r + 3);
        int nb = cols / BLOCK;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < nb; b++) {
            FloatVector c0 = FloatVector.broadcast(F, sc[so + b]);
            FloatVector c1 = FloatVector.broadcast(F, sc[so + spr + b]);
            FloatVector c2 = FloatVector.broadcast(F, sc[so + 2 * spr + b]);
            FloatVector c3 = FloatVector.broadcast(F, sc[so + 3 * spr + b]);
            for (int v = 0; v < VPB; v++) {
                FloatVector xv = FloatVector.fromArray(F, xb, xbo + b * BLOCK + v * L);
                a0 = q8(q, b0 + b * t0 + v * L, c0).fma(xv, a0);
                a1 = q8(q, b1 + b * t1 + v * L, c1).fma(xv, a1);
                a2 = q8(q, b2 + b * t2 + v * L, c2).fma(xv, a2);
                a3 = q8(q, b3 + b * t3 + v * L, c3).fma(xv, a3);
            }
        }
        int from = nb * BLOCK;
        out[o] = a0.reduceLanes(VectorOperators.ADD) + tailQ8(q, tiledRows, r, scales, from, cols, xt, xto);
        out[o + 1] = a1.reduceLanes(VectorOperators.ADD) + tailQ8(q, tiledRows, r + 1, scales, from, cols, xt, xto);
        out[o + 2] = a2.reduceLanes(VectorOperators.ADD) + tailQ8(q, tiledRows, r + 2, scales, from, cols, xt, xto);
        out[o + 3] = a3.reduceLanes(VectorOperators.ADD) + tailQ8(q, tiledRows, r + 3, scales, from, cols, xt, xto);
    }

    /** The partial last block of row r (int8), summed in column order. */
    private static float tailQ8(MemorySegment q, int tiledRows, int r, MemorySegment scales, int from, int cols,
                                float[] x, int xo) {
        if (from == cols) {
            return 0f;
        }
        long base = q8TailBase(tiledRows, cols, r);
        float sc = scale(scales, q8ScaleIndex(tiledRows, scalesPerRow(cols), r, from / BLOCK));
        float s = 0;
        for (int c = from; c < cols; c++) {
            s += q.get(java.lang.foreign.ValueLayout.JAVA_BYTE, base + c) * sc * x[xo + c];
        }
        return s;
    }

    /**
     * Decode: eight rows at once, one activation load per eight products. In the tiled layout the eight rows' blocks
     * are adjacent, so the tile reads one sequential stream ({@link Q8Matrix}), and the tile's scales sit block by
     * block in {@code sc} ({@link #widenTileScales}), read at a constant stride so C2 hoists their bounds checks out
     * of the loop. Each weight vector is loaded as {@code L} bytes and widened (a block is two vectors on AVX-512,
     * four on AVX2). Each row's accumulator sees the same products in the same order as in {@link #q8tile4x1}, so the
     * result is bit-identical to it (and to {@link PanelGemm}). Measured (one thread, 2560 columns, Zen 4): loading
     * {@code 2L} bytes at once and widening both halves (C2 extracts the upper half with a permute and a blend on
     * AVX-512, a shuffle on AVX2), against {@code L}-byte loads: AVX-512 15.9–16.1 → 17.9–18.2 GB/s cache-resident;
     * AVX2 code ({@code -XX:UseAVX=2}) 10.5 → 14.9 GB/s cache-resident and 8.2–8.3 → 10.4–10.6 from DRAM. The widening
     * stays written out here: moved into helpers taking a {@code ByteVector}, decode ran at 1.2 tok/s (as when a
     * tile's vectors get boxed), and through the {@link #q8} loader, 0.8 tok/s (16 loader calls exceed C2's
     * NodeCountInliningCutoff; the Vector API's own methods are force-inlined past it).
     */
    private static void q8tile8x1(MemorySegment q, MemorySegment scales, float[] sc, int cols, int tiledRows, int r,
                                  float[] xb, int xbo, float[] xt, int xto, float[] out, int o) {
        long base = q8Base(tiledRows, cols, r);
        long step = q8Step(tiledRows, r);
        long rb = r < tiledRows ? BLOCK : cols;  // from one row's block to the next row's
        int nb = cols / BLOCK;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int b = 0; b < nb; b++) {
            for (int h = 0; h < BLOCK; h += 2 * L) {
                int c = b * BLOCK + h;
                FloatVector x0 = FloatVector.fromArray(F, xb, xbo + c);
                FloatVector x1 = FloatVector.fromArray(F, xb, xbo + c + L);
                long p = base + b * step + h;
                FloatVector s = FloatVector.broadcast(F, sc[DECODE_ROWS * b]);
                a0 = ((FloatVector) ByteVector.fromMemorySegment(B, q, p, LE).convertShape(VectorOperators.B2F, F, 0)).mul(s).fma(x0, a0);
                a0 = ((FloatVector) ByteVector.fromMemorySegment(B, q, p + L, LE).convertShape(VectorOperators.B2F, F, 0)).mul(s).fma(x1, a0);
                s = FloatVector.broadcast(F, sc[DECODE_ROWS * b + 1]);
                a1 = ((FloatVector) ByteVector.fromMemorySegment(B, q, p + rb, LE).convertShape(VectorOperators.B2F, F, 0)).mul(s).fma(x0, a1);
                a1 = ((FloatVector) ByteVector.fromMemorySegment(B, q, p + rb + L, LE).convertShape(VectorOperators.B2F, F, 0)).mul(s).fma(x1, a1);
                s = FloatVector.broadcast(F, sc[DECODE_ROWS * b + 2]);
                a2 = ((FloatVector) ByteVector.fromMemorySegment(B, q, p + 2 * rb, LE).convertShape(VectorOperators.B2F, F, 0)).mul(s).fma(x0, a2);
                a2 = ((FloatVector) ByteVector.fromMemorySegment(B, q, p + 2 * rb + L, LE).convertShape(VectorOperators.B2F, F, 0)).mul(s).fma(x1, a2);
                s = FloatVector.broadcast(F, sc[DECODE_ROWS * b + 3]);
                a3 = ((FloatVector) ByteVector.fromMemorySegment(B, q, p + 3 * rb, LE).convertShape(VectorOperators.B2F, F, 0)).mul(s).fma(x0, a3);
                a3 = ((FloatVector) ByteVector.fromMemorySegment(B, q, p + 3 * rb + L, LE).convertShape(VectorOperators.B2F, F, 0)).mul(s).fma(x1, a3);
                s = FloatVector.broadcast(F, sc[DECODE_ROWS * b + 4]);
                a4 = ((FloatVector) ByteVector.fromMemorySegment(B, q, p + 4 * rb, LE).convertShape(VectorOperators.B2F, F, 0)).mul(s).fma(x0, a4);
                a4 = ((FloatVector) ByteVector.fromMemorySegment(B, q, p + 4 * rb + L, LE).convertShape(VectorOperators.B2F, F, 0)).mul(s).fma(x1, a4);
                s = FloatVector.broadcast(F, sc[DECODE_ROWS * b + 5]);
                a5 = ((FloatVector) ByteVector.fromMemorySegment(B, q, p + 5 * rb, LE).convertShape(VectorOperators.B2F, F, 0)).mul(s).fma(x0, a5);
                a5 = ((FloatVector) ByteVector.fromMemorySegment(B, q, p + 5 * rb + L, LE).convertShape(VectorOperators.B2F, F, 0)).mul(s).fma(x1, a5);
                s = FloatVector.broadcast(F, sc[DECODE_ROWS * b + 6]);
                a6 = ((FloatVector) ByteVector.fromMemorySegment(B, q, p + 6 * rb, LE).convertShape(VectorOperators.B2F, F, 0)).mul(s).fma(x0, a6);
                a6 = ((FloatVector) ByteVector.fromMemorySegment(B, q, p + 6 * rb + L, LE).convertShape(VectorOperators.B2F, F, 0)).mul(s).fma(x1, a6);
                s = FloatVector.broadcast(F, sc[DECODE_ROWS * b + 7]);
                a7 = ((FloatVector) ByteVector.fromMemorySegment(B, q, p + 7 * rb, LE).convertShape(VectorOperators.B2F, F, 0)).mul(s).fma(x0, a7);
                a7 = ((FloatVector) ByteVector.fromMemorySegment(B, q, p + 7 * rb + L, LE).convertShape(VectorOperators.B2F, F, 0)).mul(s).fma(x1, a7);
            }
        }
        int from = nb * BLOCK;
        out[o] = a0.reduceLanes(VectorOperators.ADD) + tailQ8(q, tiledRows, r, scales, from, cols, xt, xto);
        out[o + 1] = a1.reduceLanes(VectorOperators.ADD) + tailQ8(q, tiledRows, r + 1, scales, from, cols, xt, xto);
        out[o + 2] = a2.reduceLanes(VectorOperators.ADD) + tailQ8(q, tiledRows, r + 2, scales, from, cols, xt, xto);
        out[o + 3] = a3.reduceLanes(VectorOperators.ADD) + tailQ8(q, tiledRows, r + 3, scales, from, cols, xt, xto);
        out[o + 4] = a4.reduceLanes(VectorOperators.ADD) + tailQ8(q, tiledRows, r + 4, scales, from, cols, xt, xto);
        out[o + 5] = a5.reduceLanes(VectorOperators.ADD) + tailQ8(q, tiledRows, r + 5, scales, from, cols, xt, xto);
        out[o + 6] = a6.reduceLanes(VectorOperators.ADD) + tailQ8(q, tiledRows, r + 6, scales, from, cols, xt, xto);
        out[o + 7] = a7.reduceLanes(VectorOperators.ADD) + tailQ8(q, tiledRows, r + 7, scales, from, cols, xt, xto);
    }

    /** Two rows × two inputs (prefill on AVX2, and the odd pair of tokens). */
    private static void q8tile2x2(MemorySegment q, MemorySegment scales, float[] sc, int so, int cols, int tiledRows, int r,
                                  float[] xb, int xbo, int xbs, float[] xt, int xto, int xts, float[] out, int o, int os) {
        int spr = scalesPerRow(cols);
        long b0 = q8Base(tiledRows, cols, r), b1 = q8Base(tiledRows, cols, r + 1);
        long t0 = q8Step(tiledRows, r), t1 = q8Step(tiledRows, r + 1);
        int nb = cols / BLOCK;
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z, a01 = z, a10 = z, a11 = z;
        for (int b = 0; b < nb; b++) {
            FloatVector c0 = FloatVector.broadcast(F, sc[so + b]);
            FloatVector c1 = FloatVector.broadcast(F, sc[so + spr + b]);
            for (int v = 0; v < VPB; v++) {
                int c = b * BLOCK + v * L;
                long o0 = b0 + b * t0 + v * L, o1 = b1 + b * t1 + v * L;
                FloatVector x0 = FloatVector.fromArray(F, xb, xbo + c);
                FloatVector x1 = FloatVector.fromArray(F, xb, xbo + xbs + c);
                FloatVector w0 = q8(q, o0, c0);
                a00 = w0.fma(x0, a00);
                a01 = w0.fma(x1, a01);
                FloatVector w1 = q8(q, o1, c1);
                a10 = w1.fma(x0, a10);
                a11 = w1.fma(x1, a11);
            }
        }
        int from = nb * BLOCK;
        out[o] = a00.reduceLanes(VectorOperators.ADD) + tailQ8(q, tiledRows, r, scales, from, cols, xt, xto);
        out[o + os] = a01.reduceLanes(VectorOperators.ADD) + tailQ8(q, tiledRows, r, scales, from, cols, xt, xto + xts);
        out[o + 1] = a10.reduceLanes(VectorOperators.ADD) + tailQ8(q, tiledRows, r + 1, scales, from, cols, xt, xto);
        out[o + os + 1] = a11.reduceLanes(VectorOperators.ADD) + tailQ8(q, tiledRows, r + 1, scales, from, cols, xt, xto + xts);
    }

    /** Two rows × four inputs: each dequantized weight vector feeds 4 fmas (prefill on AVX-512). */
    private static void q8tile2x4(MemorySegment q, MemorySegment scales, float[] sc, int so, int cols, int tiledRows, int r,
                                  float[] xb, int xbo, int xbs, float[] xt, int xto, int xts, float[] out, int o, int os) {
        int spr = scalesPerRow(cols);
        long b0 = q8Base(tiledRows, cols, r), b1 = q8Base(tiledRows, cols, r + 1);
        long t0 = q8Step(tiledRows, r), t1 = q8Step(tiledRows, r + 1);
        int nb = cols / BLOCK;
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a10 = z, a11 = z, a12 = z, a13 = z;
        for (int b = 0; b < nb; b++) {
            FloatVector c0 = FloatVector.broadcast(F, sc[so + b]);
            FloatVector c1 = FloatVector.broadcast(F, sc[so + spr + b]);
            for (int v = 0; v < VPB; v++) {
                int c = b * BLOCK + v * L;
                long o0 = b0 + b * t0 + v * L, o1 = b1 + b * t1 + v * L;
                FloatVector x0 = FloatVector.fromArray(F, xb, xbo + c);
                FloatVector x1 = FloatVector.fromArray(F, xb, xbo + xbs + c);
                FloatVector x2 = FloatVector.fromArray(F, xb, xbo + 2 * xbs + c);
                FloatVector x3 = FloatVector.fromArray(F, xb, xbo + 3 * xbs + c);
                FloatVector w0 = q8(q, o0, c0);
                a00 = w0.fma(x0, a00);
                a01 = w0.fma(x1, a01);
                a02 = w0.fma(x2, a02);
                a03 = w0.fma(x3, a03);
                FloatVector w1 = q8(q, o1, c1);
                a10 = w1.fma(x0, a10);
                a11 = w1.fma(x1, a11);
                a12 = w1.fma(x2, a12);
                a13 = w1.fma(x3, a13);
            }
        }
        int from = nb * BLOCK;
        int x1 = xto + xts, x2 = xto + 2 * xts, x3 = xto + 3 * xts;
        out[o] = a00.reduceLanes(VectorOperators.ADD) + tailQ8(q, tiledRows, r, scales, from, cols, xt, xto);
        out[o + os] = a01.reduceLanes(VectorOperators.ADD) + tailQ8(q, tiledRows, r, scales, from, cols, xt, x1);
        out[o + 2 * os] = a02.reduceLanes(VectorOperators.ADD) + tailQ8(q, tiledRows, r, scales, from, cols, xt, x2);
        out[o + 3 * os] = a03.reduceLanes(VectorOperators.ADD) + tailQ8(q, tiledRows, r, scales, from, cols, xt, x3);
        out[o + 1] = a10.reduceLanes(VectorOperators.ADD) + tailQ8(q, tiledRows, r + 1, scales, from, cols, xt, xto);
        out[o + os + 1] = a11.reduceLanes(VectorOperators.ADD) + tailQ8(q, tiledRows, r + 1, scales, from, cols, xt, x1);
        out[o + 2 * os + 1] = a12.reduceLanes(VectorOperators.ADD) + tailQ8(q, tiledRows, r + 1, scales, from, cols, xt, x2);
        out[o + 3 * os + 1] = a13.reduceLanes(VectorOperators.ADD) + tailQ8(q, tiledRows, r + 1, scales, from, cols, xt, x3);
    }

    private static float q8dot(MemorySegment q, MemorySegment scales, int cols, int tiledRows, int r,
                               float[] xb, int xbo, float[] xt, int xto) {
        long base = q8Base(tiledRows, cols, r);
        long step = q8Step(tiledRows, r);
        int spr = scalesPerRow(cols);
        int nb = cols / BLOCK;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < nb; b++) {
            FloatVector sv = FloatVector.broadcast(F, scale(scales, q8ScaleIndex(tiledRows, spr, r, b)));
            for (int v = 0; v < VPB; v++) {
                acc = q8(q, base + b * step + v * L, sv).fma(FloatVector.fromArray(F, xb, xbo + b * BLOCK + v * L), acc);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD) + tailQ8(q, tiledRows, r, scales, nb * BLOCK, cols, xt, xto);
    }

    // ---------------------------------------------------------------- int4

    /**
     * L packed int4 bytes at offset {@code off} (chunk k of block b: {@code rowBase + 16b + kL}), sign-extended to
     * int lanes: lane i holds columns {@code 2(kL+i)} (low nibble) and {@code 2(kL+i)+1} (high nibble). Int lanes
     * because x86 has no byte shift: a byte-lane {@code >>> 4} is emulated with several instructions.
     */
    private static IntVector q4bytes(MemorySegment q, long off) {
        return (IntVector) ByteVector.fromMemorySegment(B, q, off, LE).convertShape(VectorOperators.B2I, I, 0);
    }

    /**
     * Low (even columns) or high (odd columns) nibbles dequantized: {@code u·s + (−8·s)} in one fma is exactly
     * {@code (u − 8)·s}, both products fitting fp32's mantissa.
     */
    private static FloatVector q4lo(IntVector u, FloatVector sv, FloatVector m8s) {
        return ((FloatVector) u.and(0x0F).convert(VectorOperators.I2F, 0)).fma(sv, m8s);
    }

    private static FloatVector q4hi(IntVector u, FloatVector sv, FloatVector m8s) {
        return ((FloatVector) u.lanewise(VectorOperators.LSHR, 4).and(0x0F).convert(VectorOperators.I2F, 0)).fma(sv, m8s);
    }

    /**
     * Int4 tiles are 2 rows × {@link #TOKEN_TILE} inputs: unpacking a nibble vector takes several Vector API calls,
     * and 4 rows of them exceed C2's inlining node budget (NodeCountInliningCutoff), which leaves calls that box
     * vectors. Two rows stay well inside it and still give 4 (decode) or more independent fma chains.
     */
    private static void matmulQ4Tiles(MemorySegment q, MemorySegment scales, int cols,
                                      float[] xb, int xbOff, int xbStride, float[] xt, int xtOff, int xtStride, int n,
                                      float[] out, int outOff, int outStride, int rowFrom, int rowTo) {
        int spr = scalesPerRow(cols);
        float[] sc = scaleBuffer(2 * spr);
        int r = rowFrom;
        for (; r + 2 <= rowTo; r += 2) {
            widenScales(scales, (long) r * spr, 2 * spr, sc);
            int t = 0;
            if (TOKEN_TILE == 4) {
                for (; t + 4 <= n; t += 4) {
                    q4tile2x4(q, scales, sc, 0, cols, r, xb, xbOff + t * xbStride, xbStride, xt, xtOff + t * xtStride, xtStride,
                            out, outOff + t * outStride + r, outStride);
                }
            }
            for (; t + 2 <= n; t += 2) {
                q4tile2x2(q, scales, sc, 0, cols, r, xb, xbOff + t * xbStride, xbStride, xt, xtOff + t * xtStride, xtStride,
                        out, outOff + t * outStride + r, outStride);
            }
            for (; t < n; t++) {
                q4tile2x1(q, scales, sc, 0, cols, r, xb, xbOff + t * xbStride, xt, xtOff + t * xtStride, out, outOff + t * outStride + r);
            }
        }
        for (; r < rowTo; r++) {
            for (int t = 0; t < n; t++) {
                out[outOff + t * outStride + r] = q4dot(q, scales, cols, r, xb, xbOff + t * xbStride, xt, xtOff + t * xtStride);
            }
        }
    }

    private static void q4tile2x1(MemorySegment q, MemorySegment scales, float[] sc, int so, int cols, int r,
                                  float[] xb, int xbo, float[] xt, int xto, float[] out, int o) {
        long rb = (cols + 1) / 2;
        int spr = scalesPerRow(cols);
        long b0 = r * rb, b1 = b0 + rb;
        long s0 = (long) r * spr, s1 = s0 + spr;
        int nb = cols / BLOCK;
        // Separate accumulators for even and odd columns: 4 independent fma chains.
        FloatVector e0 = FloatVector.zero(F), e1 = e0, d0 = e0, d1 = e0;
        for (int b = 0; b < nb; b++) {
            FloatVector c0 = FloatVector.broadcast(F, sc[so + b]);
            FloatVector c1 = FloatVector.broadcast(F, sc[so + spr + b]);
            FloatVector m0 = c0.mul(-8f), m1 = c1.mul(-8f);
            for (int k = 0; k < CH; k++) {
                FloatVector xe = FloatVector.fromArray(F, xb, xbo + b * BLOCK + k * L);
                FloatVector xo = FloatVector.fromArray(F, xb, xbo + b * BLOCK + BLOCK / 2 + k * L);
                IntVector u0 = q4bytes(q, b0 + b * (BLOCK / 2) + k * L);
                e0 = q4lo(u0, c0, m0).fma(xe, e0);
                d0 = q4hi(u0, c0, m0).fma(xo, d0);
                IntVector u1 = q4bytes(q, b1 + b * (BLOCK / 2) + k * L);
                e1 = q4lo(u1, c1, m1).fma(xe, e1);
                d1 = q4hi(u1, c1, m1).fma(xo, d1);
            }
        }
        int from = nb * BLOCK;
        out[o] = e0.add(d0).reduceLanes(VectorOperators.ADD) + tailDot(KIND_Q4, q, b0, scales, s0, from, cols, xt, xto);
        out[o + 1] = e1.add(d1).reduceLanes(VectorOperators.ADD) + tailDot(KIND_Q4, q, b1, scales, s1, from, cols, xt, xto);
    }

    private static void q4tile2x2(MemorySegment q, MemorySegment scales, float[] sc, int so, int cols, int r,
                                  float[] xb, int xbo, int xbs, float[] xt, int xto, int xts, float[] out, int o, int os) {
        long rb = (cols + 1) / 2;
        int spr = scalesPerRow(cols);
        long b0 = r * rb, b1 = b0 + rb;
        long s0 = (long) r * spr, s1 = s0 + spr;
        int nb = cols / BLOCK;
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z, a01 = z, a10 = z, a11 = z;
        for (int b = 0; b < nb; b++) {
            FloatVector c0 = FloatVector.broadcast(F, sc[so + b]);
            FloatVector c1 = FloatVector.broadcast(F, sc[so + spr + b]);
            FloatVector m0 = c0.mul(-8f), m1 = c1.mul(-8f);
            for (int k = 0; k < CH; k++) {
                int ce = b * BLOCK + k * L, co = ce + BLOCK / 2;
                IntVector u0 = q4bytes(q, b0 + b * (BLOCK / 2) + k * L);
                IntVector u1 = q4bytes(q, b1 + b * (BLOCK / 2) + k * L);
                FloatVector x0 = FloatVector.fromArray(F, xb, xbo + ce);
                FloatVector x1 = FloatVector.fromArray(F, xb, xbo + xbs + ce);
                FloatVector w0 = q4lo(u0, c0, m0), w1 = q4lo(u1, c1, m1);
                a00 = w0.fma(x0, a00);
                a01 = w0.fma(x1, a01);
                a10 = w1.fma(x0, a10);
                a11 = w1.fma(x1, a11);
                x0 = FloatVector.fromArray(F, xb, xbo + co);
                x1 = FloatVector.fromArray(F, xb, xbo + xbs + co);
                w0 = q4hi(u0, c0, m0);
                w1 = q4hi(u1, c1, m1);
                a00 = w0.fma(x0, a00);
                a01 = w0.fma(x1, a01);
                a10 = w1.fma(x0, a10);
                a11 = w1.fma(x1, a11);
            }
        }
        int from = nb * BLOCK;
        out[o] = a00.reduceLanes(VectorOperators.ADD) + tailDot(KIND_Q4, q, b0, scales, s0, from, cols, xt, xto);
        out[o + os] = a01.reduceLanes(VectorOperators.ADD) + tailDot(KIND_Q4, q, b0, scales, s0, from, cols, xt, xto + xts);
        out[o + 1] = a10.reduceLanes(VectorOperators.ADD) + tailDot(KIND_Q4, q, b1, scales, s1, from, cols, xt, xto);
        out[o + os + 1] = a11.reduceLanes(VectorOperators.ADD) + tailDot(KIND_Q4, q, b1, scales, s1, from, cols, xt, xto + xts);
    }

    private static void q4tile2x4(MemorySegment q, MemorySegment scales, float[] sc, int so, int cols, int r,
                                  float[] xb, int xbo, int xbs, float[] xt, int xto, int xts, float[] out, int o, int os) {
        long rb = (cols + 1) / 2;
        int spr = scalesPerRow(cols);
        long b0 = r * rb, b1 = b0 + rb;
        long s0 = (long) r * spr, s1 = s0 + spr;
        int nb = cols / BLOCK;
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a10 = z, a11 = z, a12 = z, a13 = z;
        for (int b = 0; b < nb; b++) {
            FloatVector c0 = FloatVector.broadcast(F, sc[so + b]);
            FloatVector c1 = FloatVector.broadcast(F, sc[so + spr + b]);
            FloatVector m0 = c0.mul(-8f), m1 = c1.mul(-8f);
            for (int k = 0; k < CH; k++) {
                IntVector u0 = q4bytes(q, b0 + b * (BLOCK / 2) + k * L);
                IntVector u1 = q4bytes(q, b1 + b * (BLOCK / 2) + k * L);
                for (int h = 0; h < 2; h++) {
                    int c = b * BLOCK + h * (BLOCK / 2) + k * L;
                    FloatVector x0 = FloatVector.fromArray(F, xb, xbo + c);
                    FloatVector x1 = FloatVector.fromArray(F, xb, xbo + xbs + c);
                    FloatVector x2 = FloatVector.fromArray(F, xb, xbo + 2 * xbs + c);
                    FloatVector x3 = FloatVector.fromArray(F, xb, xbo + 3 * xbs + c);
                    FloatVector w0 = h == 0 ? q4lo(u0, c0, m0) : q4hi(u0, c0, m0);
                    a00 = w0.fma(x0, a00);
                    a01 = w0.fma(x1, a01);
                    a02 = w0.fma(x2, a02);
                    a03 = w0.fma(x3, a03);
                    FloatVector w1 = h == 0 ? q4lo(u1, c1, m1) : q4hi(u1, c1, m1);
                    a10 = w1.fma(x0, a10);
                    a11 = w1.fma(x1, a11);
                    a12 = w1.fma(x2, a12);
                    a13 = w1.fma(x3, a13);
                }
            }
        }
        int from = nb * BLOCK;
        int x1 = xto + xts, x2 = xto + 2 * xts, x3 = xto + 3 * xts;
        out[o] = a00.reduceLanes(VectorOperators.ADD) + tailDot(KIND_Q4, q, b0, scales, s0, from, cols, xt, xto);
        out[o + os] = a01.reduceLanes(VectorOperators.ADD) + tailDot(KIND_Q4, q, b0, scales, s0, from, cols, xt, x1);
        out[o + 2 * os] = a02.reduceLanes(VectorOperators.ADD) + tailDot(KIND_Q4, q, b0, scales, s0, from, cols, xt, x2);
        out[o + 3 * os] = a03.reduceLanes(VectorOperators.ADD) + tailDot(KIND_Q4, q, b0, scales, s0, from, cols, xt, x3);
        out[o + 1] = a10.reduceLanes(VectorOperators.ADD) + tailDot(KIND_Q4, q, b1, scales, s1, from, cols, xt, xto);
        out[o + os + 1] = a11.reduceLanes(VectorOperators.ADD) + tailDot(KIND_Q4, q, b1, scales, s1, from, cols, xt, x1);
        out[o + 2 * os + 1] = a12.reduceLanes(VectorOperators.ADD) + tailDot(KIND_Q4, q, b1, scales, s1, from, cols, xt, x2);
        out[o + 3 * os + 1] = a13.reduceLanes(VectorOperators.ADD) + tailDot(KIND_Q4, q, b1, scales, s1, from, cols, xt, x3);
    }

    private static float q4dot(MemorySegment q, MemorySegment scales, int cols, int r, float[] xb, int xbo, float[] xt, int xto) {
        long base = r * (long) ((cols + 1) / 2);
        long sBase = (long) r * scalesPerRow(cols);
        int nb = cols / BLOCK;
        FloatVector e = FloatVector.zero(F), d = e;
        for (int b = 0; b < nb; b++) {
            FloatVector sv = FloatVector.broadcast(F, scale(scales, sBase + b));
            FloatVector m8 = sv.mul(-8f);
            for (int k = 0; k < CH; k++) {
                IntVector u = q4bytes(q, base + b * (BLOCK / 2) + k * L);
                e = q4lo(u, sv, m8).fma(FloatVector.fromArray(F, xb, xbo + b * BLOCK + k * L), e);
                d = q4hi(u, sv, m8).fma(FloatVector.fromArray(F, xb, xbo + b * BLOCK + BLOCK / 2 + k * L), d);
            }
        }
        return e.add(d).reduceLanes(VectorOperators.ADD) + tailDot(KIND_Q4, q, base, scales, sBase, nb * BLOCK, cols, xt, xto);
    }

    /** {@link #scalarMatmul} for an int8 plane whose first {@code tiledRows} rows are tiled: the same sums, in order. */
    static void scalarMatmulQ8(MemorySegment q, MemorySegment scales, int cols, int tiledRows, float[] x, int xOff, int xStride,
                               int n, float[] out, int outOff, int outStride, int rowFrom, int rowTo) {
        int spr = scalesPerRow(cols);
        for (int r = rowFrom; r < rowTo; r++) {
            for (int t = 0; t < n; t++) {
                int xo = xOff + t * xStride;
                float s = 0;
                for (int c = 0; c < cols; c++) {
                    s += q8Value(q, tiledRows, cols, r, c) * scale(scales, q8ScaleIndex(tiledRows, spr, r, c / BLOCK)) * x[xo + c];
                }
                out[outOff + t * outStride + r] = s;
            }
        }
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
