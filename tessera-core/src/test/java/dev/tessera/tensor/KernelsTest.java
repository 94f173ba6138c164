package dev.tessera.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Every SIMD kernel against its scalar reference on random inputs of awkward sizes. */
class KernelsTest {
    static final Random R = new Random(42);

    static float[] random(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) R.nextGaussian();
        }
        return x;
    }

    static Matrix matrix(String kind, int rows, int cols, Arena arena) {
        int eb = kind.equals("F32") ? 4 : 2;
        MemorySegment seg = arena.allocate((long) rows * cols * eb);
        for (long i = 0; i < (long) rows * cols; i++) {
            float v = (float) R.nextGaussian();
            switch (kind) {
                case "F32" -> seg.setAtIndex(Tensor.FLOAT_LE, i, v);
                case "BF16" -> seg.setAtIndex(Tensor.SHORT_LE, i, (short) (Float.floatToRawIntBits(v) >>> 16));
                default -> seg.setAtIndex(Tensor.SHORT_LE, i, Float.floatToFloat16(v));
            }
        }
        return switch (kind) {
            case "F32" -> new F32Matrix("w", rows, cols, seg);
            case "BF16" -> new BF16Matrix("w", rows, cols, seg);
            default -> new F16Matrix("w", rows, cols, seg);
        };
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 31, 33, 1000, 4099})
    void matmulMatchesScalarForEveryFormat(int cols) {
        for (String kind : new String[] {"F32", "BF16", "F16"}) {
            try (Arena arena = Arena.ofConfined()) {
                int rows = 7;
                Matrix w = matrix(kind, rows, cols, arena);
                for (int n : new int[] {1, 2, 3, 5, 8}) {
                    float[] x = random(n * cols);
                    float[] out = new float[n * rows];
                    w.matmul(x, 0, cols, n, out, 0, rows, 0, rows);
                    float[] ref = new float[rows];
                    for (int t = 0; t < n; t++) {
                        ScalarKernels.matvec(w, x, t * cols, ref, 0);
                        for (int r = 0; r < rows; r++) {
                            float tol = 1e-4f * (float) Math.sqrt(cols) + 1e-5f;
                            assertThat(out[t * rows + r]).as(kind + " cols=" + cols + " n=" + n + " t=" + t + " r=" + r)
                                    .isCloseTo(ref[r], within(tol));
                        }
                    }
                }
            }
        }
    }

    @Test
    void rowRangesAndStridesAreRespected() {
        try (Arena arena = Arena.ofConfined()) {
            Matrix w = matrix("BF16", 13, 40, arena);
            float[] x = random(3 * 50);
            float[] out = new float[3 * 20];
            java.util.Arrays.fill(out, 99f);
            w.matmul(x, 5, 50, 3, out, 2, 20, 3, 11);
            float[] ref = new float[13];
            for (int t = 0; t < 3; t++) {
                ScalarKernels.matvec(w, x, 5 + t * 50, ref, 0);
                for (int r = 0; r < 20 - 2; r++) {
                    float got = out[2 + t * 20 + r];
                    if (r >= 3 && r < 11) {
                        assertThat(got).isCloseTo(ref[r], within(1e-4f));
                    } else {
                        assertThat(got).as("untouched row " + r).isEqualTo(99f);
                    }
                }
            }
        }
    }

    @Test
    void f16WideningIsExactIncludingSubnormalsAndSpecials() {
        try (Arena arena = Arena.ofConfined()) {
            int n = 65536;
            MemorySegment seg = arena.allocate(2L * n);
            for (int i = 0; i < n; i++) {
                seg.setAtIndex(Tensor.SHORT_LE, i, (short) i);
            }
            F16Matrix m = new F16Matrix("all-halves", 1, n, seg);
            float[] row = new float[n];
            m.row(0, row, 0);
            for (int i = 0; i < n; i++) {
                float expected = Float.float16ToFloat((short) i);
                if (Float.isNaN(expected)) {
                    assertThat(row[i]).as("half 0x%04x", i).isNaN();
                } else {
                    assertThat(Float.floatToRawIntBits(row[i])).as("half 0x%04x", i).isEqualTo(Float.floatToRawIntBits(expected));
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 31, 33, 1000, 4099})
    void elementwiseKernelsMatchScalar(int n) {
        float[] x = random(n);
        float[] w = random(n);
        for (boolean onePlus : new boolean[] {false, true}) {
            float[] a = new float[n];
            float[] b = new float[n];
            Kernels.rmsNorm(x, 0, w, onePlus, 1e-6f, a, 0, n);
            ScalarKernels.rmsNorm(x, 0, w, onePlus, 1e-6f, b, 0, n);
            for (int i = 0; i < n; i++) {
                assertThat(a[i]).isCloseTo(b[i], within(1e-5f * Math.max(1, Math.abs(b[i]))));
            }
        }
        float[] s1 = x.clone();
        float[] s2 = x.clone();
        Kernels.softmax(s1, 0, n);
        ScalarKernels.softmax(s2, 0, n);
        for (int i = 0; i < n; i++) {
            assertThat(s1[i]).isCloseTo(s2[i], within(1e-6f));
        }
        float[] g1 = x.clone();
        float[] g2 = x.clone();
        Kernels.silu(g1, 0, n);
        ScalarKernels.silu(g2, 0, n);
        for (int i = 0; i < n; i++) {
            assertThat(g1[i]).isCloseTo(g2[i], within(1e-5f));
        }
        float[] m1 = x.clone();
        Kernels.siluMul(m1, 0, w, 0, n);
        for (int i = 0; i < n; i++) {
            assertThat(m1[i]).isCloseTo(ScalarKernels.silu(x[i]) * w[i], within(1e-5f));
        }
        assertThat(Kernels.argmax(x, 0, n)).isEqualTo(ScalarKernels.argmax(x, 0, n));
        assertThat(Kernels.dot(x, 0, w, 0, n)).isCloseTo(naiveDot(x, w), within(1e-3f));
    }

    static float naiveDot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return (float) s;
    }

    @Test
    void argmaxTakesTheFirstOfEqualMaxima() {
        float[] x = new float[100];
        x[17] = 5;
        x[63] = 5;
        assertThat(Kernels.argmax(x, 0, 100)).isEqualTo(17);
        assertThat(ScalarKernels.argmax(x, 0, 100)).isEqualTo(17);
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 8, 32, 34, 64, 128})
    void ropeMatchesScalarAndLeavesTailUntouched(int rotary) {
        int headDim = rotary + 6;
        Rope rope = new Rope(rotary, 7.0e7);
        float[] cos = new float[rotary / 2];
        float[] sin = new float[rotary / 2];
        rope.angles(123_457, cos, sin);
        float[] x = random(headDim);
        float[] a = x.clone();
        float[] b = x.clone();
        Kernels.rope(a, 0, cos, sin, rotary / 2);
        ScalarKernels.rope(b, 0, cos, sin, rotary / 2);
        for (int i = 0; i < headDim; i++) {
            assertThat(a[i]).isCloseTo(b[i], within(1e-6f));
        }
        for (int i = rotary; i < headDim; i++) {
            assertThat(a[i]).isEqualTo(x[i]);
        }
    }
}
