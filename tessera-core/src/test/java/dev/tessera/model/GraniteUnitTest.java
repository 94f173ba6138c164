package dev.tessera.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.tessera.io.HfConfig;
import dev.tessera.model.layers.GateThenNorm;
import dev.tessera.model.layers.Mamba2Mixer;
import dev.tessera.model.synthetic.Synthetic;
import dev.tessera.tensor.ScalarKernels;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The small rules of ARCHITECTURES.md §2.5 that a wrong port gets silently wrong. */
class GraniteUnitTest {

    static GraniteHybrid.Config preset(String name) {
        return GraniteHybrid.Config.from(new HfConfig(Synthetic.presets().get(name).config(), name));
    }

    @Test
    void gateThenNormGatesFirstAndNormalisesTheWholeWidth() {
        int n = 48; // two "groups" of 24: a per-group norm would give a different answer
        Random r = new Random(5);
        float[] y = new float[n], z = new float[n], w = new float[n];
        for (int i = 0; i < n; i++) {
            y[i] = (r.nextFloat() * 2 - 1) * (i < 24 ? 1 : 5); // the groups have very different scales
            z[i] = r.nextFloat() * 4 - 2;
            w[i] = 0.5f + r.nextFloat();
        }
        double ss = 0;
        double[] gated = new double[n];
        for (int i = 0; i < n; i++) {
            gated[i] = y[i] * (z[i] / (1 + Math.exp(-z[i])));
            ss += gated[i] * gated[i];
        }
        double inv = 1 / Math.sqrt(ss / n + 1e-5);
        float[] out = new float[n];
        new GateThenNorm(w, 1e-5).apply(y, 0, z.clone(), 0, out, 0);
        for (int i = 0; i < n; i++) {
            assertThat((double) out[i]).as("element " + i).isCloseTo(w[i] * gated[i] * inv, within(1e-5));
        }
        // Norm-then-gate (Qwen3.5's order) is a different function.
        double ssY = 0;
        for (float v : y) {
            ssY += v * v;
        }
        double invY = 1 / Math.sqrt(ssY / n + 1e-5);
        double worst = 0;
        for (int i = 0; i < n; i++) {
            worst = Math.max(worst, Math.abs(out[i] - w[i] * y[i] * invY * (z[i] / (1 + Math.exp(-z[i])))));
        }
        assertThat(worst).isGreaterThan(1e-2);
    }

    @Test
    void headsReadTheirGroupInContiguousBlocks() {
        Mamba2Mixer.Shape s = new Mamba2Mixer.Shape(64, 8, 16, 2, 16, 4);
        int[] expected = {0, 0, 0, 0, 1, 1, 1, 1}; // h / (heads / groups), not h mod groups
        for (int h = 0; h < 8; h++) {
            assertThat(s.groupOf(h)).as("head " + h).isEqualTo(expected[h]);
        }
        Mamba2Mixer.Shape three = new Mamba2Mixer.Shape(48, 6, 16, 3, 8, 4);
        assertThat(new int[] {three.groupOf(0), three.groupOf(1), three.groupOf(2), three.groupOf(3), three.groupOf(4),
                three.groupOf(5)}).containsExactly(0, 0, 1, 1, 2, 2);
    }

    @Test
    void softplusFollowsTorchThreshold() {
        assertThat(ScalarKernels.softplus(25f)).isEqualTo(25f); // above 20: the input itself
        assertThat(ScalarKernels.softplus(20f)).isCloseTo((float) Math.log1p(Math.exp(20)), within(1e-6f));
        assertThat((double) ScalarKernels.softplus(-25f)).isCloseTo(Math.exp(-25), within(1e-17)); // log1p, not log(1+x)
        assertThat(ScalarKernels.softplus(-25f)).isPositive();
        assertThat(ScalarKernels.softplus(0f)).isCloseTo((float) Math.log(2), within(1e-7f));
    }

    @Test
    void mixerDtIsSoftplusOfRawPlusBiasThenClamped() {
        Mamba2Mixer.Shape sh = new Mamba2Mixer.Shape(4, 2, 4, 1, 2, 2);
        float[] conv = new float[sh.convDim() * sh.kernel()];
        float[] dtBias = {1f, -1f};
        float[] zeros = new float[2];
        GateThenNorm norm = new GateThenNorm(new float[sh.dInner()], 1e-5);
        Mamba2Mixer free = new Mamba2Mixer(sh, null, null, conv, null, dtBias, zeros, zeros, 0, Double.POSITIVE_INFINITY, norm, null, null);
        assertThat(free.dt(0, 24f)).isEqualTo(25f);
        assertThat((double) free.dt(1, -24f)).isCloseTo(Math.exp(-25), within(1e-17));
        Mamba2Mixer clamped = new Mamba2Mixer(sh, null, null, conv, null, dtBias, zeros, zeros, 0.001, 0.1, norm, null, null);
        assertThat(clamped.dt(0, 24f)).isEqualTo(0.1f);
        assertThat(clamped.dt(1, -24f)).isEqualTo(0.001f);
        assertThat((double) clamped.dt(0, -4f)).isCloseTo(Math.log1p(Math.exp(-3)), within(1e-7));
    }

    @Test
    void inProjRowRangesOfTheRealShapes() {
        // ARCHITECTURES.md §2.2: [z | xBC (x, B, C) | dt].
        Mamba2Mixer.Shape b1 = preset("granite-4.0-h-1b").mamba();
        assertThat(b1.dInner()).isEqualTo(3072);
        assertThat(b1.xbcRow()).isEqualTo(3072);
        assertThat(b1.bOffset()).isEqualTo(3072);
        assertThat(b1.cOffset()).isEqualTo(3200);
        assertThat(b1.convDim()).isEqualTo(3328);
        assertThat(b1.dtRow()).isEqualTo(6400);
        assertThat(b1.projRows()).isEqualTo(6448);

        Mamba2Mixer.Shape m350 = preset("granite-4.0-h-350m").mamba();
        assertThat(m350.dInner()).isEqualTo(1536);
        assertThat(m350.xbcRow()).isEqualTo(1536);
        assertThat(m350.bOffset()).isEqualTo(1536);
        assertThat(m350.cOffset()).isEqualTo(1664);
        assertThat(m350.convDim()).isEqualTo(1792);
        assertThat(m350.dtRow()).isEqualTo(3328);
        assertThat(m350.projRows()).isEqualTo(3376);
    }

    @Test
    void realShapesReadFromConfig() {
        GraniteHybrid.Config c = preset("granite-4.0-h-1b");
        assertThat(c.headDim()).isEqualTo(128); // hidden / heads: no head_dim key
        assertThat(c.attentionLayerCount()).isEqualTo(4);
        assertThat(c.attentionLayers()[5]).isTrue();
        assertThat(c.attentionLayers()[6]).isFalse();
        assertThat(c.sharedIntermediate()).isEqualTo(4096);
        assertThat(c.rope()).isNull();
        assertThat(c.dtMin()).isZero();
        assertThat(c.dtMax()).isInfinite();
        assertThat(preset("granite-4.0-h-350m").headDim()).isEqualTo(64);
    }
}
