package dev.tessera.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Fused parallel products give each matrix's own per-token product, whatever the input offset and stride: for
 * prefill-sized inputs {@link Compute} copies the inputs to aligned rows first, so this checks that copy's offsets.
 */
class ComputeTest {
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void fusedProductsMatchEachMatrixTokenByToken(int threads) {
        Random rnd = new Random(11);
        try (Arena arena = Arena.ofShared(); Compute compute = new Compute(threads)) {
            for (int cols : new int[] {33, 544}) {
                Matrix q8a = Quantizer.quantize(QuantKernelsTest.f32("a", 24, cols, QuantKernelsTest.randomRow(rnd, 24 * cols, 0.05f), arena), 8, "a", arena);
                Matrix q8b = Quantizer.quantize(QuantKernelsTest.f32("b", 13, cols, QuantKernelsTest.randomRow(rnd, 13 * cols, 0.05f), arena), 8, "b", arena);
                Matrix f32 = QuantKernelsTest.f32("c", 9, cols, QuantKernelsTest.randomRow(rnd, 9 * cols, 0.05f), arena);
                Matrix[] ws = {q8a, q8b, f32};
                for (int n : new int[] {1, PanelGemm.MIN_TOKENS - 1, PanelGemm.MIN_TOKENS, 40}) {
                    int xOff = 5, xStride = cols + 7;
                    float[] x = QuantKernelsTest.randomRow(rnd, xOff + n * xStride, 1f);
                    float[] xBefore = x.clone();
                    float[][] outs = new float[3][];
                    for (int i = 0; i < 3; i++) {
                        outs[i] = new float[n * (ws[i].rows() + 1)];
                    }
                    compute.matmul3(x, xOff, xStride, n,
                            ws[0], outs[0], ws[0].rows() + 1, ws[1], outs[1], ws[1].rows() + 1, ws[2], outs[2], ws[2].rows() + 1);
                    assertThat(x).as("inputs are left as they were").isEqualTo(xBefore);
                    for (int i = 0; i < 3; i++) {
                        Matrix w = ws[i];
                        float[] one = new float[w.rows()];
                        float[] row = new float[cols];
                        for (int t = 0; t < n; t++) {
                            w.matvec(x, xOff + t * xStride, one, 0, 0, w.rows());
                            for (int r = 0; r < w.rows(); r++) {
                                assertThat(outs[i][t * (w.rows() + 1) + r]).as("matrix %s cols %d n %d t %d r %d", w.name(), cols, n, t, r)
                                        .isCloseTo(one[r], QuantKernelsTest.lanesOrderTolerance(w, r, x, xOff + t * xStride, row));
                            }
                        }
                    }
                }
            }
        }
    }
}
