package dev.tessera.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.testing.TestTensors;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The kernels added for Qwen3.5 against their scalar twins, on sizes that are not multiples of the vector length. */
class QwenKernelsTest {
    private final Random rnd = new Random(7);

    @Test
    void gemmMatchesScalarOnAwkwardShapes() {
        int[][] shapes = {{1, 1, 1}, {3, 5, 7}, {4, 16, 16}, {7, 33, 19}, {9, 128, 128}, {130, 64, 40}, {5, 3, 61}};
        for (int[] sh : shapes) {
            int rows = sh[0], kdim = sh[1], cols = sh[2];
            for (boolean acc : new boolean[] {false, true}) {
                // Strides larger than the logical widths, and non-zero offsets, as the chunked delta rule uses them.
                int as = kdim + 3, bs = cols + 2, cs = cols + 5;
                float[] a = TestTensors.random(rnd, 2 + rows * as, 1f);
                float[] b = TestTensors.random(rnd, 1 + kdim * bs, 1f);
                float[] c1 = TestTensors.random(rnd, 4 + rows * cs, 1f);
                float[] c2 = c1.clone();
                Kernels.gemm(a, 2, as, rows, kdim, b, 1, bs, cols, c1, 4, cs, acc);
                ScalarKernels.gemm(a, 2, as, rows, kdim, b, 1, bs, cols, c2, 4, cs, acc);
                assertThat(TestTensors.maxAbsDiff(c1, c2)).as("gemm %s acc=%s", java.util.Arrays.toString(sh), acc)
                        .isLessThanOrEqualTo(1e-4f * (float) Math.sqrt(kdim));
            }
        }
    }

    @Test
    void deltaStepMatchesScalar() {
        int[][] shapes = {{16, 16}, {16, 32}, {128, 128}, {5, 13}, {24, 20}};
        for (int[] sh : shapes) {
            int dk = sh[0], dv = sh[1];
            float[] s1 = TestTensors.random(rnd, 3 + dk * dv, 0.3f);
            float[] s2 = s1.clone();
            float[] q = TestTensors.random(rnd, dk, 0.2f);
            float[] k = TestTensors.random(rnd, dk, 0.2f);
            float[] v = TestTensors.random(rnd, dv, 1f);
            float[] o1 = new float[dv + 1];
            float[] o2 = new float[dv + 1];
            Kernels.deltaStep(s1, 3, dk, dv, 0.93f, 0.6f, q, 0, k, 0, v, 0, o1, 1);
            ScalarKernels.deltaStep(s2, 3, dk, dv, 0.93f, 0.6f, q, 0, k, 0, v, 0, o2, 1);
            assertThat(TestTensors.maxAbsDiff(s1, s2)).as("state %dx%d", dk, dv).isLessThan(1e-5f);
            assertThat(TestTensors.maxAbsDiff(o1, o2)).as("out %dx%d", dk, dv).isLessThan(1e-5f);
        }
    }

    @Test
    void mulAddAndSigmoidMulMatchScalar() {
        for (int n : new int[] {1, 7, 8, 17, 100}) {
            float[] a = TestTensors.random(rnd, n + 1, 1f);
            float[] b = TestTensors.random(rnd, n + 2, 1f);
            float[] y1 = TestTensors.random(rnd, n + 3, 1f);
            float[] y2 = y1.clone();
            Kernels.mulAdd(a, 1, b, 2, y1, 3, n);
            ScalarKernels.mulAdd(a, 1, b, 2, y2, 3, n);
            assertThat(TestTensors.maxAbsDiff(y1, y2)).isLessThan(1e-6f);
            float[] g = TestTensors.random(rnd, n, 4f);
            float[] x1 = TestTensors.random(rnd, n, 1f);
            float[] x2 = x1.clone();
            Kernels.sigmoidMul(g, 0, x1, 0, n);
            ScalarKernels.sigmoidMul(g, 0, x2, 0, n);
            assertThat(TestTensors.maxAbsDiff(x1, x2)).isLessThan(1e-6f);
        }
    }

    @Test
    void expDiffMatchesScalarOnTheLowerTriangle() {
        float[] c = new float[64];
        float cum = 0;
        for (int i = 0; i < c.length; i++) {
            cum -= (float) Math.exp(rnd.nextGaussian());
            c[i] = cum;
        }
        for (int i : new int[] {0, 1, 7, 16, 17, 40, 63}) {
            float[] a = new float[67];
            float[] b = new float[67];
            Kernels.expDiff(c, i, a, 2);
            ScalarKernels.expDiff(c, i, b, 2);
            for (int j = 0; j <= i; j++) {
                assertThat(a[2 + j]).as("row %d col %d", i, j).isCloseTo(b[2 + j], org.assertj.core.data.Offset.offset(2e-7f * Math.max(1f, b[2 + j])));
                assertThat(a[2 + j]).isLessThanOrEqualTo(1f);
            }
            assertThat(a[2 + i + 1]).as("nothing written past j = i").isZero();
        }
    }

    @Test
    void partialRopeLeavesDimsBeyondRotaryWidthUntouched() {
        int headDim = 32, rotary = 8;  // partial_rotary_factor 0.25
        Rope rope = new Rope(rotary, 1e7);
        float[] cos = new float[rotary / 2], sin = new float[rotary / 2];
        rope.angles(12345, cos, sin);
        float[] x = TestTensors.random(rnd, 3 + headDim, 1f);
        float[] before = x.clone();
        Kernels.rope(x, 3, cos, sin, rotary / 2);
        for (int i = rotary; i < headDim; i++) {
            assertThat(x[3 + i]).as("dim %d", i).isEqualTo(before[3 + i]);
        }
        // Pairs are (i, i + R/2) within the rotary slice, not (i, i + D/2) and not adjacent.
        for (int i = 0; i < rotary / 2; i++) {
            float a = before[3 + i], b = before[3 + i + rotary / 2];
            assertThat(x[3 + i]).isCloseTo(a * cos[i] - b * sin[i], org.assertj.core.data.Offset.offset(1e-6f));
            assertThat(x[3 + i + rotary / 2]).isCloseTo(b * cos[i] + a * sin[i], org.assertj.core.data.Offset.offset(1e-6f));
        }
    }

    @Test
    void rmsNormOnePlusWeightVersusWeight() {
        int n = 13;
        float[] x = TestTensors.random(rnd, n, 2f);
        float[] w = TestTensors.random(rnd, n, 0.1f);
        float[] onePlus = new float[n];
        for (int i = 0; i < n; i++) {
            onePlus[i] = 1f + w[i];
        }
        float[] a = new float[n], b = new float[n], c = new float[n];
        Kernels.rmsNorm(x, 0, w, true, 1e-6f, a, 0, n);
        Kernels.rmsNorm(x, 0, onePlus, false, 1e-6f, b, 0, n);
        Kernels.rmsNorm(x, 0, w, false, 1e-6f, c, 0, n);
        double ss = 0;
        for (float v : x) {
            ss += v * v;
        }
        double inv = 1 / Math.sqrt(ss / n + 1e-6);
        for (int i = 0; i < n; i++) {
            assertThat((double) a[i]).isCloseTo((1 + w[i]) * x[i] * inv, org.assertj.core.data.Offset.offset(1e-5));
            assertThat((double) c[i]).isCloseTo(w[i] * x[i] * inv, org.assertj.core.data.Offset.offset(1e-5));
        }
        assertThat(TestTensors.maxAbsDiff(a, b)).isLessThan(1e-6f);
        assertThat(TestTensors.maxAbsDiff(a, c)).isGreaterThan(0.1f);
    }
}
