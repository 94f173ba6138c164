package dev.tessera.model.layers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import dev.tessera.model.state.KvCache;
import dev.tessera.tensor.Compute;
import dev.tessera.tensor.Kernels;
import dev.tessera.tensor.Matrix;
import dev.tessera.tensor.Rope;
import dev.tessera.tensor.ScalarKernels;
import dev.tessera.testing.TestTensors;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Qwen3.5's layers: the chunked delta rule against the recurrence, l2norm, and the q_proj [query | gate] split. */
class QwenLayersTest {
    private final Random rnd = new Random(11);

    /** Random normalised q/k, values, gates and decays for T tokens of one head. */
    private record Inputs(float[] q, float[] k, float[] v, float[] beta, float[] g) {}

    private Inputs inputs(int t, int dk, int dv) {
        float[] q = TestTensors.random(rnd, t * dk, 1f);
        float[] k = TestTensors.random(rnd, t * dk, 1f);
        for (int i = 0; i < t; i++) {
            GatedDeltaNet.l2norm(q, i * dk, dk);
            Kernels.scale(q, i * dk, dk, (float) (1 / Math.sqrt(dk)));
            GatedDeltaNet.l2norm(k, i * dk, dk);
        }
        float[] beta = new float[t];
        float[] g = new float[t];
        for (int i = 0; i < t; i++) {
            beta[i] = ScalarKernels.sigmoid((float) rnd.nextGaussian());
            // A mix of weak and strong decays, as softplus(·)·exp(A_log) produces.
            g[i] = -(float) Math.exp(rnd.nextGaussian() - 1.5);
        }
        return new Inputs(q, k, TestTensors.random(rnd, t * dv, 1f), beta, g);
    }

    @Test
    void chunkedFormEqualsRecurrenceAcrossChunkBoundaries() {
        int[][] shapes = {{16, 16}, {16, 32}, {24, 20}, {128, 128}};
        for (int[] sh : shapes) {
            int dk = sh[0], dv = sh[1];
            for (int len : new int[] {1, 63, 64, 65, 200}) {
                Inputs in = inputs(len, dk, dv);
                float[] s0 = TestTensors.random(rnd, dk * dv, 0.5f);  // continue from an existing state
                float[] sRec = s0.clone();
                float[] oRec = new float[len * dv];
                for (int t = 0; t < len; t++) {
                    ScalarKernels.deltaStep(sRec, 0, dk, dv, (float) Math.exp(in.g[t]), in.beta[t],
                            in.q, t * dk, in.k, t * dk, in.v, t * dv, oRec, t * dv);
                }
                // The chunked kernel reads q and k from one array: put them side by side per token.
                float[] qk = new float[len * 2 * dk];
                for (int t = 0; t < len; t++) {
                    System.arraycopy(in.q, t * dk, qk, t * 2 * dk, dk);
                    System.arraycopy(in.k, t * dk, qk, t * 2 * dk + dk, dk);
                }
                float[] sCh = s0.clone();
                float[] oCh = new float[len * dv];
                GatedDeltaNet.Workspace w = new GatedDeltaNet.Workspace(dk, dv);
                for (int t0 = 0; t0 < len; t0 += GatedDeltaNet.CHUNK) {
                    int m = Math.min(GatedDeltaNet.CHUNK, len - t0);
                    GatedDeltaNet.chunk(sCh, 0, dk, dv, m, qk, t0 * 2 * dk, t0 * 2 * dk + dk, 2 * dk,
                            in.v, t0 * dv, dv, in.beta, in.g, t0, 1, oCh, t0 * dv, dv, w);
                }
                float scale = Math.max(1f, TestTensors.maxAbs(oRec));
                assertThat(TestTensors.maxAbsDiff(oCh, oRec)).as("out dk=%d dv=%d T=%d", dk, dv, len)
                        .isLessThan(2e-5f * scale);
                assertThat(TestTensors.maxAbsDiff(sCh, sRec)).as("state dk=%d dv=%d T=%d", dk, dv, len)
                        .isLessThan(2e-5f * Math.max(1f, TestTensors.maxAbs(sRec)));
            }
        }
    }

    @Test
    void l2normAddsEpsToTheSumOfSquares() {
        float[] x = {1e-4f, 0f, 0f};
        GatedDeltaNet.l2norm(x, 0, 3);
        // 1e-4 / sqrt(1e-8 + 1e-6) ≈ 0.0995; F.normalize's max(norm, eps) rule gives 1, eps on the mean ≈ 0.0998.
        assertThat((double) x[0]).isCloseTo(1e-4 / Math.sqrt(1e-8 + 1e-6), offset(1e-6));
        float[] y = {3f, 4f};
        GatedDeltaNet.l2norm(y, 0, 2);
        assertThat(y[0]).isCloseTo(0.6f, offset(1e-6f));
        assertThat(y[1]).isCloseTo(0.8f, offset(1e-6f));
    }

    /**
     * One token at position 0 (RoPE is the identity there) attends only to itself, so head h's output is
     * {@code v ⊙ sigmoid(gate_h)}: with Wo = I this pins down which q_proj rows are the gate.
     */
    @Test
    void qProjIsInterleavedPerHeadAsQueryThenGate() {
        int hidden = 8, heads = 2, kvHeads = 1, d = 4;
        float[] wq = TestTensors.random(rnd, 2 * heads * d * hidden, 0.5f);
        float[] wk = TestTensors.random(rnd, kvHeads * d * hidden, 0.5f);
        float[] wv = TestTensors.random(rnd, kvHeads * d * hidden, 0.5f);
        float[] wo = new float[hidden * heads * d];
        for (int i = 0; i < hidden; i++) {
            wo[i * hidden + i] = 1f;
        }
        float[] zeros = new float[d];
        Matrix q = TestTensors.matrix("q", 2 * heads * d, hidden, wq);
        GatedAttention att = new GatedAttention(q, TestTensors.matrix("k", d, hidden, wk),
                TestTensors.matrix("v", d, hidden, wv), TestTensors.matrix("o", hidden, hidden, wo),
                new RmsNorm(zeros, 1e-6, true), new RmsNorm(zeros, 1e-6, true), heads, kvHeads, d, new Rope(2, 1e7));
        float[] a = TestTensors.random(rnd, hidden, 1f);
        float[] out = new float[hidden];
        KvCache cache = att.newCache(8);
        try (Compute compute = new Compute(1)) {
            att.forward(compute, a, 1, hidden, 0, cache, new GatedAttention.Scratch(), out);
        }
        float[] qg = new float[2 * heads * d];
        float[] v = new float[d];
        ScalarKernels.matvec(q, a, 0, qg, 0);
        ScalarKernels.matvec(TestTensors.matrix("v", d, hidden, wv), a, 0, v, 0);
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < d; i++) {
                float gate = qg[h * 2 * d + d + i];
                assertThat(out[h * d + i]).as("head %d dim %d", h, i)
                        .isCloseTo(v[i] * ScalarKernels.sigmoid(gate), offset(1e-5f));
            }
        }
    }
}
