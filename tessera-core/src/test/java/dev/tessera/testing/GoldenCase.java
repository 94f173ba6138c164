package dev.tessera.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.io.SafeTensorsFile;
import dev.tessera.model.Logits;
import dev.tessera.model.Model;
import dev.tessera.model.ModelState;
import java.nio.file.Path;

/**
 * One tiny-model golden ({@code ../shared/golden/<name>}): the prompt, HF's teacher-forced logits and greedy
 * continuation, and the comparisons of golden/README.md (max |Δ| ≤ 1e-3·max|logit|, cosine ≥ 0.99999 per row,
 * top-1 equal on every row, greedy ids identical).
 */
public final class GoldenCase {
    public final String name;
    public final Path dir;
    public final int[] inputIds;
    public final float[][] logits;
    public final int[] greedyIds;
    public final float[][] greedyLogits;
    public final int vocab;

    public GoldenCase(String name) {
        this.name = name;
        this.dir = Golden.dir(name);
        try (SafeTensorsFile f = SafeTensorsFile.open(dir.resolve("expected.safetensors"))) {
            inputIds = toInts(f.tensor("input_ids").toLongArray());
            greedyIds = toInts(f.tensor("greedy_ids").toLongArray());
            logits = rows(f.tensor("logits").toFloatArray(), inputIds.length);
            greedyLogits = rows(f.tensor("greedy_logits").toFloatArray(), greedyIds.length);
            vocab = logits[0].length;
        }
    }

    static int[] toInts(long[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Math.toIntExact(v[i]);
        }
        return out;
    }

    static float[][] rows(float[] flat, int n) {
        int v = flat.length / n;
        float[][] out = new float[n][v];
        for (int i = 0; i < n; i++) {
            System.arraycopy(flat, i * v, out[i], 0, v);
        }
        return out;
    }

    public float scale() {
        float m = 0;
        for (float[] r : logits) {
            for (float x : r) {
                m = Math.max(m, Math.abs(x));
            }
        }
        return m;
    }

    /** Teacher-forced logits with the prompt fed in chunks of {@code chunk} tokens (chunk ≥ T: one prefill). */
    public float[][] teacherForced(Model model, int chunk) {
        ModelState state = model.newState();
        Logits out = Logits.all(model.info().vocabSize(), chunk);
        float[][] rows = new float[inputIds.length][];
        for (int start = 0; start < inputIds.length; start += chunk) {
            int n = Math.min(chunk, inputIds.length - start);
            model.forward(inputIds, start, n, state, out);
            for (int t = 0; t < n; t++) {
                rows[start + t] = out.row(t);
            }
        }
        return rows;
    }

    /** Prefill in chunks, then greedy decode one token per step; returns the step logits. */
    public float[][] greedy(Model model, int chunk, int[] idsOut) {
        ModelState state = model.newState();
        Logits out = Logits.last(model.info().vocabSize());
        for (int start = 0; start < inputIds.length; start += chunk) {
            model.forward(inputIds, start, Math.min(chunk, inputIds.length - start), state, out);
        }
        float[][] steps = new float[greedyIds.length][];
        int[] one = new int[1];
        for (int k = 0; k < greedyIds.length; k++) {
            steps[k] = out.row(0);
            idsOut[k] = argmax(steps[k]);
            one[0] = idsOut[k];
            if (k + 1 < greedyIds.length) {
                model.forward(one, 0, 1, state, out);
            }
        }
        return steps;
    }

    public static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    public static double cosine(float[] a, float[] b) {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        return ab / Math.sqrt(aa * bb);
    }

    /** Asserts the README's rules for a matrix of rows against the expected rows. */
    public void assertClose(String what, float[][] actual, float[][] expected) {
        float tol = 1e-3f * scale();
        assertThat(actual).as(what + ": rows").hasNumberOfRows(expected.length);
        for (int t = 0; t < expected.length; t++) {
            assertThat(actual[t]).as(what + ": row " + t + " length").hasSize(expected[t].length);
            float maxDiff = 0;
            for (int i = 0; i < expected[t].length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(actual[t][i] - expected[t][i]));
            }
            assertThat(maxDiff).as(name + " " + what + ": max |Δlogit| at row " + t + " (tolerance " + tol + ")")
                    .isLessThanOrEqualTo(tol);
            assertThat(cosine(actual[t], expected[t])).as(name + " " + what + ": cosine at row " + t)
                    .isGreaterThanOrEqualTo(0.99999);
            assertThat(argmax(actual[t])).as(name + " " + what + ": top-1 at row " + t).isEqualTo(argmax(expected[t]));
        }
    }

    public static float maxAbsDiff(float[][] a, float[][] b) {
        float m = 0;
        for (int t = 0; t < a.length; t++) {
            for (int i = 0; i < a[t].length; i++) {
                m = Math.max(m, Math.abs(a[t][i] - b[t][i]));
            }
        }
        return m;
    }
}
