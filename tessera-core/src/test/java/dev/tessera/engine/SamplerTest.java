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

    /**
     * The kept ids by brute force, with the sampler's own arithmetic: sort every id (logit descending, id
     * ascending), take the top k, then apply the min-p floor and the top-p cut in that order.
     */
    static int[] bruteForceKept(float[] logits, double temperature, int topK, double topPIn, double minPIn) {
        // The sampler holds its settings as floats.
        float t = (float) temperature, topP = (float) topPIn, minP = (float) minPIn;
        int v = logits.length;
        float max = Float.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        Integer[] ids = IntStream.range(0, v).boxed().toArray(Integer[]::new);
        Arrays.sort(ids, (a, b) -> logits[a] != logits[b] ? Float.compare(logits[b], logits[a]) : Integer.compare(a, b));
        int n = topK > 0 && topK < v ? topK : v;
        float[] probs = new float[n];
        double candidates = 0, all = 0;
        for (int i = 0; i < v; i++) {
            all += Math.exp((logits[i] - max) / t);
        }
        for (int i = 0; i < n; i++) {
            double p = Math.exp((logits[ids[i]] - max) / t);
            probs[i] = (float) p;
            candidates += p;
        }
        int keep = n;
        if (topP < 1 || minP > 0) {
            double total = n < v ? candidates : all;
            double cut = 0;
            float floor = minP > 0 ? (float) (minP * probs[0]) : 0f;
            for (int i = 0; i < n; i++) {
                if (probs[i] < floor) {
                    keep = Math.max(1, i);
                    break;
                }
                cut += probs[i] / total;
                if (cut >= topP) {
                    keep = i + 1;
                    break;
                }
            }
        }
        int[] out = new int[keep];
        for (int i = 0; i < keep; i++) {
            out[i] = ids[i];
        }
        return out;
    }

    @Test
    void theKeptSetIsWhatAFullSortKeeps() {
        Random r = new Random(17);
        double[] topPs = {0.3, 0.9, 0.99, 0.999999, 1};
        double[] minPs = {0, 1e-7, 1e-3, 0.05, 0.5};
        int[] topKs = {0, 1, 7, 300};
        for (int trial = 0; trial < 400; trial++) {
            int v = 50 + r.nextInt(3000);
            double sigma = Math.pow(10, -2 + 3 * r.nextDouble());
            boolean ties = r.nextBoolean();
            float[] logits = new float[v];
            for (int i = 0; i < v; i++) {
                double x = r.nextGaussian() * sigma;
                logits[i] = (float) (ties ? Math.round(x * 2) / 2.0 : x);
            }
            double t = 0.1 + 1.4 * r.nextDouble();
            double topP = topPs[r.nextInt(topPs.length)];
            double minP = minPs[r.nextInt(minPs.length)];
            int topK = topKs[r.nextInt(topKs.length)];
            int[] kept = new Sampler(t, topK, topP, minP, 0).kept(logits, 0, v);
            int[] expected = bruteForceKept(logits, t, topK, topP, minP);
            if (topP >= 1 && minP == 0 && (topK == 0 || topK >= v)) {
                // Plain sampling keeps every id, in id order.
                assertThat(kept).hasSize(v);
            } else {
                assertThat(kept).as("trial %d: v %d sigma %s T %s top-k %d top-p %s min-p %s", trial, v, sigma, t, topK, topP, minP)
                        .containsExactly(expected);
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
