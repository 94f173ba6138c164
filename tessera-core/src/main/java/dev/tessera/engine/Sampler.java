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
        if (topK > 0 && topK < vocab) {
            // Candidates: the top-k ids by logit, by partial selection in O(V log k).
            return draw(logits, off, max, selectTop(logits, off, vocab, topK), Double.NaN);
        }
        if (topP >= 1 && minP == 0) {
            // Plain sampling from the whole distribution: no order is needed, and sorting 100k+ ids costs more
            // than the model's step.
            for (int i = 0; i < vocab; i++) {
                order[i] = i;
            }
            return draw(logits, off, max, vocab, Double.NaN);
        }
        // Nucleus / min-p: only the most likely ids can be in the kept set. Sort just those above a probability
        // ratio to the top one, and widen the ratio until their mass reaches top-p (or min-p's floor is below it).
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += Math.exp((logits[off + i] - max) / temperature);
        }
        for (double ratio : new double[] {1e-4, 1e-9, 0}) {
            double r = Math.max(ratio, minP);
            float threshold = r > 0 ? (float) (max + temperature * Math.log(r)) : Float.NEGATIVE_INFINITY;
            int m = 0;
            for (int id = 0; id < vocab; id++) {
                if (logits[off + id] >= threshold) {
                    order[m++] = id;
                }
            }
            sortDescending(logits, off, m);
            double mass = 0;
            for (int i = 0; i < m; i++) {
                mass += Math.exp((logits[off + order[i]] - max) / temperature);
            }
            if (r == minP || r == 0 || mass / sum >= topP) {
                return draw(logits, off, max, m, sum);
            }
        }
        throw new IllegalStateException("unreachable: the last ratio keeps every id");
    }

    /**
     * Draws from the first {@code n} ids of {@code order} (sorted by logit when top-p or min-p apply), after the
     * min-p floor and the top-p cut; {@code sum} is the whole distribution's mass, or NaN for the candidates' own.
     */
    private int draw(float[] logits, int off, float max, int n, double sum) {
        double candidates = 0;
        for (int i = 0; i < n; i++) {
            double p = Math.exp((logits[off + order[i]] - max) / temperature);
            probs[i] = (float) p;
            candidates += p;
        }
        double total = Double.isNaN(sum) ? candidates : sum;
        int keep = n;
        if (topP < 1 || minP > 0) {
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
        double kept = 0;
        for (int i = 0; i < keep; i++) {
            kept += probs[i];
        }
        double r = random.nextDouble() * kept;
        for (int i = 0; i < keep; i++) {
            r -= probs[i];
            if (r < 0) {
                return order[i];
            }
        }
        return order[keep - 1];
    }

    /** Sorts the first {@code m} ids of {@code order} by descending logit (heap sort: no allocation). */
    private void sortDescending(float[] logits, int off, int m) {
        for (int i = m / 2 - 1; i >= 0; i--) {
            siftDown(logits, off, i, m);
        }
        for (int end = m - 1; end > 0; end--) {
            int t = order[0];
            order[0] = order[end];
            order[end] = t;
            siftDown(logits, off, 0, end);
        }
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
