package dev.tessera.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.TesseraException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Quantizer rule, fast quantizer == reference, and the fused int8/int4 kernels against their scalar twins. */
class QuantKernelsTest {
    static final int[] AWKWARD_COLS = {1, 2, 31, 32, 33, 64, 100, 1000, 4099};
    static final int[] AWKWARD_ROWS = {1, 3, 4, 5, 7, 13, 21};

    static float[] randomRow(Random rnd, int n, float scale) {
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = (float) (rnd.nextGaussian() * scale);
        }
        return w;
    }

    static F32Matrix f32(String name, int rows, int cols, float[] data, Arena arena) {
        MemorySegment seg = arena.allocate((long) rows * cols * 4, 64);
        MemorySegment.copy(data, 0, seg, Tensor.FLOAT_LE, 0, data.length);
        return new F32Matrix(name, rows, cols, seg);
    }

    /**
     * How far two sums of row r's products with {@code x} may differ when only the order of the final lane
     * reduction differs: a few ulps of the sum of the products' magnitudes. {@code row} is a buffer of cols floats.
     */
    static org.assertj.core.data.Offset<Float> lanesOrderTolerance(Matrix m, int r, float[] x, int xo, float[] row) {
        m.row(r, row, 0);
        float absSum = 0;
        for (int c = 0; c < m.cols(); c++) {
            absSum += Math.abs(row[c] * x[xo + c]);
        }
        return org.assertj.core.data.Offset.offset(4 * Math.ulp(absSum) + Float.MIN_NORMAL);
    }

    @ParameterizedTest
    @ValueSource(ints = {8, 4})
    void fastQuantizerGivesTheReferenceBytes(int bits) {
        Random rnd = new Random(42 + bits);
        for (int cols : new int[] {1, 5, 31, 32, 33, 63, 64, 65, 1000, 4099}) {
            for (int trial = 0; trial < 20; trial++) {
                float[] w = randomRow(rnd, cols, trial % 3 == 0 ? 1e-3f : 0.05f);
                if (trial % 4 == 1) {
                    // Exact halves (ties) and a zero block: s = 1 when the block max is Q.
                    int q = Quantizer.levels(bits);
                    for (int c = 0; c < cols; c++) {
                        w[c] = c % 32 == 0 ? q : (c % 5) - 2.5f + (c % 2);
                    }
                }
                if (trial % 4 == 2) {
                    for (int c = 0; c < Math.min(cols, 32); c++) {
                        w[c] = 0f;
                    }
                }
                if (trial == 3) {
                    w[cols / 2] = 1e-44f; // subnormal block max: s underflows to 0
                }
                int rb = (int) Quantizer.rowBytes(bits, cols);
                byte[] qa = new byte[rb], qb = new byte[rb];
                short[] sa = new short[Quantizer.scalesPerRow(cols)], sb = new short[sa.length];
                Quantizer.quantizeRowReference(w, 0, cols, bits, qa, 0, sa, 0);
                Quantizer.quantizeRow(w, 0, cols, bits, qb, 0, sb, 0);
                assertThat(qb).as("values, cols " + cols + " trial " + trial).containsExactly(qa);
                assertThat(sb).as("scales, cols " + cols + " trial " + trial).containsExactly(sa);
            }
        }
    }

    @Test
    void referenceRuleByHand() {
        // Block max 254 → s = 2; 3/2 = 1.5 → 2 (half to even); 5/2 = 2.5 → 2; -7/2 = -3.5 → -4.
        float[] w = {254, 3, 5, -7, 1};
        byte[] q = new byte[5];
        short[] s = new short[1];
        Quantizer.quantizeRowReference(w, 0, 5, 8, q, 0, s, 0);
        assertThat(q).containsExactly(127, 2, 2, -4, 0);
        assertThat(Float.float16ToFloat(s[0])).isEqualTo(2f);
        // Int4: max 14 → s = 2; packed as q + 8, even column low nibble; odd tail pads the high nibble with 8.
        float[] w4 = {14, -14, 3, 0, 1};
        byte[] q4 = new byte[3];
        Quantizer.quantizeRowReference(w4, 0, 5, 4, q4, 0, s, 0);
        assertThat(q4).containsExactly((byte) (15 | 1 << 4), (byte) (10 | 8 << 4), (byte) (8 | 8 << 4));
    }

    @ParameterizedTest
    @ValueSource(ints = {8, 4})
    void nonFiniteWeightsAreRejected(int bits) {
        float[] w = new float[40];
        w[35] = Float.NaN;
        byte[] q = new byte[40];
        short[] s = new short[2];
        assertThatThrownBy(() -> Quantizer.quantizeRow(w, 0, 40, bits, q, 0, s, 0)).isInstanceOf(TesseraException.class)
                .hasMessageContaining("non-finite");
        w[35] = 0;
        w[3] = Float.POSITIVE_INFINITY;
        assertThatThrownBy(() -> Quantizer.quantizeRowReference(w, 0, 40, bits, q, 0, s, 0)).isInstanceOf(TesseraException.class);
    }

    @ParameterizedTest
    @ValueSource(ints = {8, 4})
    void rowDequantizesAsQTimesFp16Scale(int bits) {
        Random rnd = new Random(7);
        try (Arena arena = Arena.ofShared()) {
            int rows = 3, cols = 70;
            F32Matrix src = f32("w", rows, cols, randomRow(rnd, rows * cols, 0.02f), arena);
            Matrix m = Quantizer.quantize(src, bits, "w", arena);
            float[] w = new float[cols];
            byte[] q = new byte[(int) Quantizer.rowBytes(bits, cols)];
            short[] s = new short[Quantizer.scalesPerRow(cols)];
            float[] got = new float[cols];
            for (int r = 0; r < rows; r++) {
                src.row(r, w, 0);
                Quantizer.quantizeRowReference(w, 0, cols, bits, q, 0, s, 0);
                m.row(r, got, 0);
                for (int c = 0; c < cols; c++) {
                    int v = bits == 8 ? q[c] : (((c & 1) == 0 ? q[c / 2] : q[c / 2] >> 4) & 15) - 8;
                    assertThat(got[c]).isEqualTo(v * Float.float16ToFloat(s[c / 32]));
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {8, 4})
    void kernelsMatchTheScalarTwinOnAwkwardSizes(int bits) {
        Random rnd = new Random(1234 + bits);
        try (Arena arena = Arena.ofShared()) {
            for (int cols : AWKWARD_COLS) {
                for (int rows : AWKWARD_ROWS) {
                    Matrix m = Quantizer.quantize(f32("w", rows, cols, randomRow(rnd, rows * cols, 0.05f), arena), bits, "w", arena);
                    assertThat(m).isInstanceOf(bits == 8 ? Q8Matrix.class : Q4Matrix.class);
                    for (int n : new int[] {1, 2, 3, 4, 5, 9}) {
                        int xStride = cols + 3;
                        int outStride = rows + 2;
                        float[] x = randomRow(rnd, n * xStride + 1, 1f);
                        float[] out = new float[n * outStride + 1];
                        m.matmul(x, 1, xStride, n, out, 1, outStride, 0, rows);
                        float[] expect = new float[rows];
                        for (int t = 0; t < n; t++) {
                            ScalarKernels.matvec(m, x, 1 + t * xStride, expect, 0);
                            for (int r = 0; r < rows; r++) {
                                float tol = 1e-5f * (float) Math.sqrt(cols) + 1e-6f;
                                assertThat(out[1 + t * outStride + r]).as("bits %d rows %d cols %d n %d t %d r %d", bits, rows, cols, n, t, r)
                                        .isCloseTo(expect[r], org.assertj.core.data.Offset.offset(tol));
                            }
                        }
                        // Row ranges: only the asked rows are written.
                        if (rows > 2) {
                            float[] part = new float[rows];
                            java.util.Arrays.fill(part, Float.NaN);
                            m.matvec(x, 1, part, 0, 1, rows - 1);
                            assertThat(part[0]).isNaN();
                            assertThat(part[rows - 1]).isNaN();
                            ScalarKernels.matvec(m, x, 1, expect, 0);
                            for (int r = 1; r < rows - 1; r++) {
                                assertThat(part[r]).isCloseTo(expect[r], org.assertj.core.data.Offset.offset(1e-5f * (float) Math.sqrt(cols) + 1e-6f));
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * For cols a multiple of 32, the int8 kernel is the F32 kernel on the dequantized matrix up to the order of the
     * final lane reduction (left open by the Vector API): a few ulps of the sum of |w·x|.
     */
    @ParameterizedTest
    @ValueSource(ints = {8, 4})
    void quantizedKernelsEqualF32OnDequantizedWeights(int bits) {
        Random rnd = new Random(99);
        try (Arena arena = Arena.ofShared()) {
            for (int cols : new int[] {32, 64, 160, 2560}) {
                int rows = 11;
                Matrix q = Quantizer.quantize(f32("w", rows, cols, randomRow(rnd, rows * cols, 0.02f), arena), bits, "w", arena);
                F32Matrix d = Quantizer.dequantize(q, arena);
                for (int n : new int[] {1, 2, 4, 7}) {
                    float[] x = randomRow(rnd, n * cols, 1f);
                    float[] a = new float[n * rows], b = new float[n * rows];
                    q.matmul(x, 0, cols, n, a, 0, rows, 0, rows);
                    d.matmul(x, 0, cols, n, b, 0, rows, 0, rows);
                    for (int i = 0; i < a.length; i++) {
                        float absSum = 0;
                        int t = i / rows, r = i % rows;
                        float[] row = new float[cols];
                        d.row(r, row, 0);
                        for (int c = 0; c < cols; c++) {
                            absSum += Math.abs(row[c] * x[t * cols + c]);
                        }
                        assertThat(a[i]).as("cols " + cols + " n " + n + " i " + i)
                                .isCloseTo(b[i], org.assertj.core.data.Offset.offset(4 * Math.ulp(absSum) + Float.MIN_NORMAL));
                    }
                }
            }
        }
    }

    /**
     * Prefill on int8 runs on dequantized panels in column blocks ({@link PanelGemm}); it must give what the
     * one-token kernel gives for each token: the same products in the same lane order, so agreement up to the
     * order of the final lane reduction. Shapes cross every boundary: rows around the panel height, columns around
     * the block of 512 and with partial quantization blocks, tokens around the register tile and the token group.
     */
    @Test
    void int8PrefillPanelsEqualTheOneTokenKernel() {
        Random rnd = new Random(7);
        try (Arena arena = Arena.ofShared()) {
            for (int cols : new int[] {32, 33, 100, 544, 1056, 1100}) {
                for (int rows : new int[] {1, 5, 8, 13, 37}) {
                    Matrix m = Quantizer.quantize(f32("w", rows, cols, randomRow(rnd, rows * cols, 0.05f), arena), 8, "w", arena);
                    for (int n : new int[] {PanelGemm.MIN_TOKENS, 17, 63, 64, 65, 131}) {
                        int xStride = cols + 3, outStride = rows + 2;
                        float[] x = randomRow(rnd, n * xStride + 1, 1f);
                        float[] out = new float[n * outStride + 1];
                        java.util.Arrays.fill(out, Float.NaN);
                        int from = rows > 4 ? 3 : 0;
                        m.matmul(x, 1, xStride, n, out, 1, outStride, from, rows);
                        float[] one = new float[rows];
                        float[] row = new float[cols];
                        for (int t = 0; t < n; t++) {
                            m.matvec(x, 1 + t * xStride, one, 0, 0, rows);
                            for (int r = 0; r < rows; r++) {
                                float got = out[1 + t * outStride + r];
                                if (r < from) {
                                    assertThat(got).as("row %d outside the range is untouched", r).isNaN();
                                    continue;
                                }
                                assertThat(got).as("rows %d cols %d n %d t %d r %d", rows, cols, n, t, r)
                                        .isCloseTo(one[r], lanesOrderTolerance(m, r, x, 1 + t * xStride, row));
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * Where the tiled layout puts (r, c), written out independently of the kernels' helpers: tiles of 8 rows, in a
     * tile 32-column blocks of the 8 rows one after the other, then the partial block as 8 short rows; plain rows
     * after the last whole tile.
     */
    static long tiledOffset(int rows, int cols, int r, int c) {
        int tiledRows = rows - rows % 8;
        if (r >= tiledRows) {
            return (long) r * cols + c;
        }
        long tile = (long) (r / 8) * 8 * cols;
        int full = cols - cols % 32;
        return c < full ? tile + (long) (c / 32) * 8 * 32 + (r % 8) * 32 + c % 32
                : tile + (long) full * 8 + (long) (r % 8) * (cols - full) + (c - full);
    }

    /** Where the tiled layout puts the scale of block b of row r: a tile's scales block by block, as its values. */
    static long tiledScaleIndex(int rows, int spr, int r, int b) {
        int tiledRows = rows - rows % 8;
        return r >= tiledRows ? (long) r * spr + b : (long) (r / 8) * 8 * spr + (long) b * 8 + r % 8;
    }

    /** Every value and scale of several shapes (partial tiles, partial blocks, fewer than 8 rows or 32 columns) where it belongs. */
    @Test
    void tiledLayoutPlacesEachValueWhereTheJavadocSays() {
        Random rnd = new Random(5);
        try (Arena arena = Arena.ofShared()) {
            for (int[] shape : new int[][] {{19, 70}, {8, 32}, {16, 64}, {5, 40}, {13, 20}, {24, 96}, {9, 1}}) {
                int rows = shape[0], cols = shape[1];
                MemorySegment q = arena.allocate((long) rows * cols);
                byte[] values = new byte[rows * cols];
                rnd.nextBytes(values);
                MemorySegment.copy(values, 0, q, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, values.length);
                int spr = QuantKernels.scalesPerRow(cols);
                MemorySegment s = arena.allocate((long) rows * spr * 2);
                short[] scaleBits = new short[rows * spr];
                for (int i = 0; i < scaleBits.length; i++) {
                    scaleBits[i] = (short) rnd.nextInt(0x7C00);
                }
                MemorySegment.copy(scaleBits, 0, s, java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, 0, scaleBits.length);
                Q8Matrix t = new Q8Matrix("w", rows, cols, q, s).tiled(arena);
                assertThat(t.tiledRows()).isEqualTo(rows / 8 * 8);
                for (int r = 0; r < rows; r++) {
                    for (int b = 0; b < spr; b++) {
                        long at = tiledScaleIndex(rows, spr, r, b);
                        assertThat(t.scales().getAtIndex(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, at))
                                .as("%dx%d scale (%d, %d)", rows, cols, r, b).isEqualTo(scaleBits[r * spr + b]);
                        assertThat(QuantKernels.q8ScaleIndex(t.tiledRows(), spr, r, b)).isEqualTo(at);
                    }
                }
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < cols; c++) {
                        assertThat(t.q().get(java.lang.foreign.ValueLayout.JAVA_BYTE, tiledOffset(rows, cols, r, c)))
                                .as("%dx%d at (%d, %d)", rows, cols, r, c).isEqualTo(values[r * cols + c]);
                        long at = c < cols / 32 * 32
                                ? QuantKernels.q8Base(t.tiledRows(), cols, r) + (c / 32) * QuantKernels.q8Step(t.tiledRows(), r) + c % 32
                                : QuantKernels.q8TailBase(t.tiledRows(), cols, r) + c;
                        assertThat(at).as("helpers at (%d, %d)", r, c).isEqualTo(tiledOffset(rows, cols, r, c));
                        assertThat(QuantKernels.q8Value(t.q(), t.tiledRows(), cols, r, c)).as("value at (%d, %d)", r, c)
                                .isEqualTo((int) values[r * cols + c]);
                    }
                }
            }
        }
    }

    /** The address helpers stay exact past 2^31 bytes (a 248320 × 10496 plane). */
    @Test
    void tiledOffsetsDoNotOverflow() {
        int rows = 248320, cols = 10496 + 7;
        for (int r : new int[] {248319, 248311, 204800}) {
            for (int c : new int[] {0, 33, 10495, 10502}) {
                long at = c < cols / 32 * 32
                        ? QuantKernels.q8Base(rows, cols, r) + (c / 32) * QuantKernels.q8Step(rows, r) + c % 32
                        : QuantKernels.q8TailBase(rows, cols, r) + c;
                assertThat(at).isEqualTo(tiledOffset(rows, cols, r, c)).isGreaterThan(Integer.MAX_VALUE);
            }
        }
    }

    /**
     * The tiled int8 layout (copied or rearranged in place) is the same matrix: the same rows, and every product
     * (one token, the 2-to-15-token tiles, prefill panels) the same as the row-major form's, on row ranges that start
     * inside a tile and on shapes with partial tiles and partial blocks.
     */
    @Test
    void tiledInt8IsTheSameMatrix() {
        Random rnd = new Random(11);
        try (Arena arena = Arena.ofShared()) {
            for (int cols : new int[] {1, 31, 32, 33, 100, 1056, 1100}) {
                for (int rows : new int[] {1, 7, 8, 13, 16, 21, 37}) {
                    Q8Matrix plain = (Q8Matrix) Quantizer.quantize(f32("w", rows, cols, randomRow(rnd, rows * cols, 0.05f), arena), 8, "w", arena);
                    Q8Matrix copy = plain.tiled(arena);
                    MemorySegment own = arena.allocate(plain.q().byteSize());
                    own.copyFrom(plain.q());
                    MemorySegment ownScales = arena.allocate(plain.scales().byteSize());
                    ownScales.copyFrom(plain.scales());
                    Q8Matrix inPlace = new Q8Matrix("w", rows, cols, own, ownScales).tiledInPlace();
                    assertThat(inPlace.q().mismatch(copy.q())).isEqualTo(-1L);
                    assertThat(inPlace.scales().mismatch(copy.scales())).isEqualTo(-1L);
                    float[] a = new float[cols], b = new float[cols];
                    for (int r = 0; r < rows; r++) {
                        plain.row(r, a, 0);
                        copy.row(r, b, 0);
                        assertThat(b).as("row %d of %dx%d", r, rows, cols).containsExactly(a);
                    }
                    // The scalar fallback (non-SIMD shapes) on the tiled copy: the row-major scalar sums exactly.
                    float[] xs = randomRow(rnd, 2 * cols, 1f), ws = new float[2 * rows], wt = new float[2 * rows];
                    QuantKernels.scalarMatmul(QuantKernels.KIND_Q8, plain.q(), plain.scales(), cols, xs, 0, cols, 2, ws, 0, rows, 0, rows);
                    QuantKernels.scalarMatmulQ8(copy.q(), copy.scales(), cols, copy.tiledRows(), xs, 0, cols, 2, wt, 0, rows, 0, rows);
                    assertThat(wt).as("scalar %dx%d", rows, cols).containsExactly(ws);
                    for (int n : new int[] {1, 2, 3, 5, 9, PanelGemm.MIN_TOKENS, 17}) {
                        for (int from : new int[] {0, 3, 8}) {
                            if (from >= rows) {
                                continue;
                            }
                            int xStride = cols + 1, outStride = rows + 1;
                            float[] x = randomRow(rnd, n * xStride, 1f);
                            float[] want = new float[n * outStride], got = new float[n * outStride];
                            java.util.Arrays.fill(got, Float.NaN);
                            plain.matmul(x, 0, xStride, n, want, 0, outStride, from, rows);
                            copy.matmul(x, 0, xStride, n, got, 0, outStride, from, rows);
                            for (int t = 0; t < n; t++) {
                                for (int r = 0; r < rows; r++) {
                                    float g = got[t * outStride + r];
                                    if (r < from) {
                                        assertThat(g).isNaN();
                                    } else {
                                        assertThat(g).as("rows %d cols %d n %d from %d t %d r %d", rows, cols, n, from, t, r)
                                                .isCloseTo(want[t * outStride + r], lanesOrderTolerance(plain, r, x, t * xStride, a));
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
