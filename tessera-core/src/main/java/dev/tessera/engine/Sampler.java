package dev.tessera.engine;

import dev.tessera.TesseraException;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits: greedy at temperature 0, otherwise softmax(logits / T) restricted by top-k,
 * top-p (nucleus) and min-p, drawn from a seeded generator so runs are reproducible. Buffers are reused.
 */
public final class Sampler {
    private final float temperature;
    private final int topK;
    private final float topP;
    private final float minP;
    private final SplittableRandom random;
    private int[] order = new int[0];
    private float[] probs = new float[0];

    public Sampler(double temperature, int topK, double topP, double minP, long seed) {
        if (temperature < 0 || Double.isNaN(temperature)) {
            throw new TesseraException.InvalidInput("temperature must be >= 0, got " + temperature);
        }
        if (topP <= 0 || topP > 1) {
            throw new TesseraException.InvalidInput("top-p must be in (0, 1], got " + topP);
        }
        if (minP < 0 || minP >= 1) {
            throw new TesseraException.InvalidInput("min-p must be in [0, 1), got " + minP);
        }
        this.temperature = (float) temperature;
        this.topK = topK;
        this.topP = (float) topP;
        this.minP = (float) minP;
        this.random = new SplittableRandom(seed);
    }

    public static Sampler greedy() {
        return new Sampler(0, 0, 1, 0, 0);
    }

    public boolean isGreedy() {
        return temperature == 0f;
    }

    public int sample(float[] logits, int off, int vocab) {
        if (isGreedy()) {
            return dev.tessera.tensor.Kernels.argmax(logits, off, vocab);
        }
        if (order.length < vocab) {
            order = new int[vocab];
            probs = new float[vocab];
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[off + i]);
        }
        // Candidates: indices sorted by logit, truncated to top-k (partial selection keeps this O(V log k)).
        int k = topK > 0 ? Math.min(topK, vocab) : vocab;
        int n = selectTop(logits, off, vocab, k);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double p = Math.exp((logits[off + order[i]] - max) / temperature);
            probs[i] = (float) p;
            sum += p;
        }
        double cut = 0;
        int keep = n;
        float floor = minP > 0 ? (float) (minP * probs[0]) : 0f;
        for (int i = 0; i < n; i++) {
            if (probs[i] < floor) {
                keep = Math.max(1, i);
                break;
            }
            cut += probs[i] / sum;
            if (cut >= topP) {
                keep = i + 1;
                break;
            }
        }
        double total = 0;
        for (int i = 0; i < keep; i++) {
            total += probs[i];
        }
        double r = random.nextDouble() * total;
        for (int i = 0; i < keep; i++) {
            r -= probs[i];
            if (r < 0) {
                return order[i];
            }
        }
        return order[keep - 1];
    }

    /** Puts the k highest-logit ids, in descending order, at the front of {@code order}; returns k. */
    private int selectTop(float[] logits, int off, int vocab, int k) {
        // Min-heap of size k over (logit, id).
        int size = 0;
        for (int id = 0; id < vocab; id++) {
            float v = logits[off + id];
            if (size < k) {
                order[size] = id;
                siftUp(logits, off, size++);
            } else if (v > logits[off + order[0]]) {
                order[0] = id;
                siftDown(logits, off, 0, size);
            }
        }
        for (int end = size - 1; end > 0; end--) {
            int t = order[0];
            order[0] = order[end];
            order[end] = t;
            siftDown(logits, off, 0, end);
        }
        return size;
    }

    private void siftUp(float[] l, int off, int i) {
        while (i > 0) {
            int p = (i - 1) / 2;
            if (l[off + order[i]] < l[off + order[p]]) {
                int t = order[i];
                order[i] = order[p];
                order[p] = t;
                i = p;
            } else {
                return;
            }
        }
    }

    private void siftDown(float[] l, int off, int i, int size) {
        while (true) {
            int a = 2 * i + 1, b = a + 1, m = i;
            if (a < size && l[off + order[a]] < l[off + order[m]]) {
                m = a;
            }
            if (b < size && l[off + order[b]] < l[off + order[m]]) {
                m = b;
            }
            if (m == i) {
                return;
            }
            int t = order[i];
            order[i] = order[m];
            order[m] = t;
            i = m;
        }
    }
}
