package dev.tessera.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SamplerTest {
    /** softmax(logits / T) as doubles. */
    static double[] softmax(float[] logits, double t) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp((logits[i] - max) / t);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /** The ids top-p keeps, by brute force: sort everything, keep the smallest prefix reaching the mass. */
    static boolean[] nucleus(float[] logits, double t, double topP) {
        double[] p = softmax(logits, t);
        Integer[] ids = IntStream.range(0, p.length).boxed().toArray(Integer[]::new);
        Arrays.sort(ids, Comparator.comparingDouble(i -> -p[i]));
        boolean[] keep = new boolean[p.length];
        double cut = 0;
        for (int id : ids) {
            keep[id] = true;
            cut += p[id];
            if (cut >= topP) {
                break;
            }
        }
        return keep;
    }

    static double[] frequencies(Sampler s, float[] logits, int draws) {
        double[] f = new double[logits.length];
        for (int i = 0; i < draws; i++) {
            f[s.sample(logits, 0, logits.length)] += 1.0 / draws;
        }
        return f;
    }

    @Test
    void plainSamplingFollowsTheSoftmax() {
        float[] logits = {2f, 1f, 0f, -1f, 0.5f};
        double[] expected = softmax(logits, 0.8);
        double[] f = frequencies(new Sampler(0.8, 0, 1, 0, 1), logits, 200_000);
        for (int i = 0; i < logits.length; i++) {
            assertThat(f[i]).as("id " + i).isCloseTo(expected[i], within(0.005));
        }
    }

    @Test
    void topPAndMinPKeepOnlyTheirSetsRenormalised() {
        float[] logits = {3f, 2.5f, 1f, 0f, -2f, 2.9f};
        double[] p = softmax(logits, 1);
        boolean[] keep = nucleus(logits, 1, 0.8);
        double kept = 0;
        for (int i = 0; i < p.length; i++) {
            kept += keep[i] ? p[i] : 0;
        }
        double[] f = frequencies(new Sampler(1, 0, 0.8, 0, 2), logits, 200_000);
        for (int i = 0; i < logits.length; i++) {
            assertThat(f[i]).as("id " + i).isCloseTo(keep[i] ? p[i] / kept : 0, within(0.005));
        }
        // min-p 0.3: ids with p >= 0.3 * p_max, i.e. logit >= 3 + ln 0.3 = 1.80
        double[] g = frequencies(new Sampler(1, 0, 1, 0.3, 3), logits, 200_000);
        double mass = p[0] + p[1] + p[5];
        assertThat(g[0]).isCloseTo(p[0] / mass, within(0.005));
        assertThat(g[2] + g[3] + g[4]).isZero();
    }

    @Test
    void topPOnALargeVocabularyDrawsOnlyFromTheNucleus() {
        Random r = new Random(5);
        float[] logits = new float[150_000];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) (r.nextGaussian() * 3);
        }
        for (double topP : new double[] {0.5, 0.95, 0.9999}) {
            boolean[] keep = nucleus(logits, 0.7, topP);
            Sampler s = new Sampler(0.7, 0, topP, 0, 11);
            for (int i = 0; i < 300; i++) {
                int id = s.sample(logits, 0, logits.length);
                assertThat(keep[id]).as("top-p %s drew %d", topP, id).isTrue();
            }
        }
    }

    @Test
    void topKKeepsTheKBest() {
        float[] logits = {0f, 5f, 1f, 4f, 2f};
        double[] f = frequencies(new Sampler(1, 2, 1, 0, 4), logits, 50_000);
        assertThat(f[1] + f[3]).isCloseTo(1.0, within(1e-9));
        assertThat(f[1]).isCloseTo(Math.exp(5) / (Math.exp(5) + Math.exp(4)), within(0.01));
    }

    @Test
    void aSeedReproducesTheDraws() {
        float[] logits = new float[1000];
        new Random(1).ints(1000, -5, 5).forEach(new java.util.function.IntConsumer() {
            int i;

            @Override
            public void accept(int v) {
                logits[i++] = v;
            }
        });
        for (double topP : new double[] {1, 0.9}) {
            Sampler a = new Sampler(1, 0, topP, 0, 9), b = new Sampler(1, 0, topP, 0, 9);
            for (int i = 0; i < 100; i++) {
                assertThat(a.sample(logits, 0, 1000)).isEqualTo(b.sample(logits, 0, 1000));
            }
        }
    }
}
