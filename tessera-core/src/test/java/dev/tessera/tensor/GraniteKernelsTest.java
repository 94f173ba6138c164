package dev.tessera.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The Mamba2 kernels against their scalar twins, on sizes that are not multiples of the vector length. */
class GraniteKernelsTest {
    private static final int[] SIZES = {1, 3, 7, 8, 15, 16, 17, 31, 33, 64, 67, 130};
    private final Random rnd = new Random(42);

    private float[] random(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = rnd.nextFloat() * 2 - 1;
        }
        return v;
    }

    private static void assertClose(float[] actual, float[] expected, float tol) {
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as("element " + i).isCloseTo(expected[i], within(tol * (1 + Math.abs(expected[i]))));
        }
    }

    @Test
    void mulAddMatchesScalar() {
        for (int n : SIZES) {
            float[] a = random(n + 3), b = random(n + 5), y = random(n + 2);
            float[] ref = y.clone();
            Kernels.mulAdd(a, 3, b, 5, y, 2, n);
            ScalarKernels.mulAdd(a, 3, b, 5, ref, 2, n);
            assertClose(y, ref, 1e-6f);
        }
    }

    @Test
    void decayUpdateIsBitExactToScalar() {
        // No fma on purpose: the vector form must round exactly like (s·decay) + (b·x).
        for (int n : SIZES) {
            float[] s = random(n + 1), x = random(n + 4);
            float[] ref = s.clone();
            Kernels.decayUpdate(s, 1, 0.93f, -0.37f, x, 4, n);
            ScalarKernels.decayUpdate(ref, 1, 0.93f, -0.37f, x, 4, n);
            assertThat(s).containsExactly(ref);
        }
    }

    @Test
    void decayRowMatchesScalar() {
        for (int n : SIZES) {
            float[] cb = random(n + 2), dt = random(n + 1), out = new float[n + 3], ref = new float[n + 3];
            float[] seg = new float[n];
            for (int j = 0; j < n; j++) {
                seg[j] = -rnd.nextFloat() * 30; // exponents are never positive
            }
            Kernels.decayRow(cb, 2, seg, 0, dt, 1, out, 3, n);
            ScalarKernels.decayRow(cb, 2, seg, 0, dt, 1, ref, 3, n);
            assertClose(out, ref, 1e-6f);
        }
    }

    @Test
    void weightedRowsMatchesScalar() {
        for (int width : SIZES) {
            for (int rows : new int[] {1, 2, 5, 64}) {
                int stride = width + 3;
                float[] m = random(rows * stride + 7), coef = random(rows + 1);
                for (float beta : new float[] {0f, 1f, 0.5f}) {
                    float[] out = random(width + 2);
                    out[1] = beta == 0f ? Float.NaN : out[1]; // beta 0 must not read out
                    float[] ref = out.clone();
                    Kernels.weightedRows(beta, out, 1, width, coef, 1, rows, m, 7, stride);
                    ScalarKernels.weightedRows(beta, ref, 1, width, coef, 1, rows, m, 7, stride);
                    assertClose(out, ref, 1e-5f);
                }
            }
        }
    }

    @Test
    void weightedRows4MatchesScalar() {
        for (int width : SIZES) {
            for (int rows : new int[] {1, 3, 64, 128}) {
                int stride = width + 5, outStride = width + 2, coefStride = rows + 3;
                float[] m = random(rows * stride + 2), coef = random(4 * coefStride + 1);
                for (float beta : new float[] {0f, 1f, 0.75f}) {
                    float[] out = random(4 * outStride + 1);
                    float[] ref = out.clone();
                    Kernels.weightedRows4(beta, out, 1, outStride, width, coef, 1, coefStride, rows, m, 2, stride);
                    ScalarKernels.weightedRows4(beta, ref, 1, outStride, width, coef, 1, coefStride, rows, m, 2, stride);
                    assertClose(out, ref, 1e-5f);
                }
            }
        }
    }
}
