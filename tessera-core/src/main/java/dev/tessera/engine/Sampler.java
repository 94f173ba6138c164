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
        int keep = candidates(logits, off, vocab);
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

    /** The ids sampling may draw (tests compare them with a full sort): the first ones of {@link #order}. */
    int[] kept(float[] logits, int off, int vocab) {
        int n = candidates(logits, off, vocab);
        return java.util.Arrays.copyOf(order, n);
    }

    /**
     * Puts the ids that top-k, top-p and min-p keep at the front of {@link #order} (by descending logit, ties by
     * ascending id, whenever a cut depends on the order) with their unnormalised probabilities in {@link #probs};
     * returns how many.
     */
    private int candidates(float[] logits, int off, int vocab) {
        if (order.length < vocab) {
            order = new int[vocab];
            probs = new float[vocab];
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[off + i]);
        }
        if (topK > 0 && topK < vocab) {
            // The top-k ids by partial selection in O(V log k); cuts are relative to their own mass.
            int n = selectTop(logits, off, vocab, topK);
            return cut(logits, off, max, n, Double.NaN);
        }
        if (topP >= 1 && minP == 0) {
            // Plain sampling from the whole distribution: no order is needed, and sorting 100k+ ids costs more
            // than the model's step.
            for (int i = 0; i < vocab; i++) {
                order[i] = i;
                probs[i] = (float) Math.exp((logits[off + i] - max) / temperature);
            }
            return vocab;
        }
        // Nucleus / min-p: only the most likely ids can be kept. Sort just those above a probability ratio to the
        // top one and widen the ratio until the cut falls inside them.
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += Math.exp((logits[off + i] - max) / temperature);
        }
        for (double ratio : new double[] {1e-4, 1e-9, 0}) {
            double r = Math.max(ratio, minP);
            float threshold = Float.NEGATIVE_INFINITY;
            if (r > 0) {
                // A little generous: an id on the boundary is decided by the exact test in cut(), not here.
                double t = max + temperature * Math.log(r);
                threshold = (float) (t - 1e-4 * Math.max(1, Math.abs(t)));
            }
            int m = 0;
            for (int id = 0; id < vocab; id++) {
                if (logits[off + id] >= threshold) {
                    order[m++] = id;
                }
            }
            sortDescending(logits, off, m);
            int keep = cut(logits, off, max, m, sum);
            // Final if a cut fell inside the candidates, or nothing outside them could be kept.
            if (keep < m || ratio == 0 || r == minP) {
                return keep;
            }
        }
        throw new IllegalStateException("unreachable: the last ratio keeps every id");
    }

    /**
     * Fills {@link #probs} for the first {@code n} ids of {@link #order} and returns how many survive the min-p
     * floor and the top-p cut; {@code sum} is the whole distribution's mass, or NaN for the candidates' own.
     */
    private int cut(float[] logits, int off, float max, int n, double sum) {
        double candidates = 0;
        for (int i = 0; i < n; i++) {
            double p = Math.exp((logits[off + order[i]] - max) / temperature);
            probs[i] = (float) p;
            candidates += p;
        }
        if (topP >= 1 && minP == 0) {
            return n;
        }
        double total = Double.isNaN(sum) ? candidates : sum;
        double cut = 0;
        float floor = minP > 0 ? (float) (minP * probs[0]) : 0f;
        for (int i = 0; i < n; i++) {
            if (probs[i] < floor) {
                return Math.max(1, i);
            }
            cut += probs[i] / total;
            if (cut >= topP) {
                return i + 1;
            }
        }
        return n;
    }

    /** Sorts the first {@code m} ids of {@code order} by descending logit, ties by ascending id (heap sort). */
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

    /** Whether id a ranks below id b: a smaller logit, or the same logit and a larger id. */
    private static boolean worse(float[] l, int off, int a, int b) {
        float la = l[off + a], lb = l[off + b];
        return la < lb || (la == lb && a > b);
    }

    /** Puts the k highest-logit ids, in descending order, at the front of {@code order}; returns k. */
    private int selectTop(float[] logits, int off, int vocab, int k) {
        // Min-heap of size k over (logit, id).
        int size = 0;
        for (int id = 0; id < vocab; id++) {
            if (size < k) {
                order[size] = id;
                siftUp(logits, off, size++);
            } else if (worse(logits, off, order[0], id)) {
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
            if (worse(l, off, order[i], order[p])) {
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
            if (a < size && worse(l, off, order[a], order[m])) {
                m = a;
            }
            if (b < size && worse(l, off, order[b], order[m])) {
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
