package dev.tessera.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RopeTest {
    @Test
    void anglesAreFormedInFp32AtLargeThetaAndPosition() {
        int r = 128;
        double theta = 7.0e7;
        int p = 200_003;
        Rope rope = new Rope(r, theta);
        float[] cos = new float[r / 2];
        float[] sin = new float[r / 2];
        rope.angles(p, cos, sin);
        for (int i = 0; i < r / 2; i++) {
            float invf = 1.0f / (float) Math.pow(theta, (float) (2 * i) / (float) r);
            float angle = (float) p * invf;
            assertThat(cos[i]).isEqualTo((float) Math.cos(angle));
            assertThat(sin[i]).isEqualTo((float) Math.sin(angle));
        }
        // A double-precision angle differs at this position: the fp32 rounding is part of the model.
        double exact = p / Math.pow(theta, 2.0 * 1 / r);
        assertThat((float) Math.cos(exact)).isNotEqualTo(cos[1]);
    }

    @Test
    void pairsElementIWithIPlusHalf() {
        Rope rope = new Rope(4, 10000);
        float[] cos = new float[2];
        float[] sin = new float[2];
        rope.angles(1, cos, sin);
        float[] x = {1, 0, 0, 0, 9};
        Kernels.rope(x, 0, cos, sin, 2);
        // x0 = 1 rotates into x2 (its pair), not into x1.
        assertThat(x[0]).isEqualTo(cos[0]);
        assertThat(x[2]).isEqualTo(sin[0]);
        assertThat(x[1]).isZero();
        assertThat(x[3]).isZero();
        assertThat(x[4]).isEqualTo(9);
    }

    @Test
    void tableRotatesLikePerPositionAnglesAndRefreshesWhenThePositionsChange() {
        Rope rope = new Rope(8, 1.0e6);
        RopeTable table = new RopeTable();
        float[] cos = new float[4];
        float[] sin = new float[4];
        for (int start : new int[] {0, 0, 37, 37, 5}) {
            table.prepare(rope, start, 3);
            for (int t = 0; t < 3; t++) {
                float[] a = {1, 2, 3, 4, 5, 6, 7, 8, 9};
                float[] b = a.clone();
                table.rotate(a, 0, t);
                rope.angles(start + t, cos, sin);
                Kernels.rope(b, 0, cos, sin, 4);
                assertThat(a).containsExactly(b);
            }
        }
    }
}
