package dev.tessera.model.layers;

import dev.tessera.model.state.KvCache;
import dev.tessera.tensor.Compute;
import dev.tessera.tensor.Matrix;
import dev.tessera.tensor.Rope;
import dev.tessera.tensor.RopeTable;

/**
 * Qwen3.5's gated full attention (ARCHITECTURES.md §3.3), for the token at position p:
 * <pre>
 * [q_h | gate_h] = (Wq·a) head h            q_proj rows are interleaved per head: [query (D) | gate (D)]
 * q_h = qNorm(q_h);  k_j = kNorm(Wk·a)_j      RMSNorm over D with (1 + w), per head
 * rotate q_h, k_j on dims 0..R-1 only (partial rotary, rotate-half pairs (i, i + R/2)); dims ≥ R unchanged
 * o_h = attention(q_h, cache of KV head h / (Hq/Hkv))  with scale D^-½
 * out = Wo · (o ⊙ sigmoid(gate))
 * </pre>
 * Order matters: norm, then RoPE, then the cache (keys are cached normalised and rotated).
 */
public final class GatedAttention {
    private final Matrix wq;
    private final Matrix wk;
    private final Matrix wv;
    private final Matrix wo;
    private final RmsNorm qNorm;
    private final RmsNorm kNorm;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final float scale;
    private final Rope rope;

    /**
     * @param wq {@code [2·heads·headDim, hidden]}, per head [query | gate]
     * @param rope rotary table over the first R dims of each head (R = headDim · partial_rotary_factor)
     */
    public GatedAttention(Matrix wq, Matrix wk, Matrix wv, Matrix wo, RmsNorm qNorm, RmsNorm kNorm,
                          int heads, int kvHeads, int headDim, Rope rope) {
        this.wq = wq;
        this.wk = wk;
        this.wv = wv;
        this.wo = wo;
        this.qNorm = qNorm;
        this.kNorm = kNorm;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.scale = (float) (1.0 / Math.sqrt(headDim));
        this.rope = rope;
    }

    public KvCache newCache(int maxPositions) {
        return new KvCache(kvHeads, headDim, maxPositions);
    }

    /**
     * {@code out[t] = layer(a[t])} for the n rows of {@code a} (hidden width each) at positions
     * {@code start .. start+n-1}; appends their keys and values to {@code cache}.
     */
    public void forward(Compute compute, float[] a, int n, int hidden, int start, KvCache cache, Scratch s, float[] out) {
        int qDim = heads * headDim;
        int kvDim = kvHeads * headDim;
        s.ensure(n, qDim, kvDim);
        compute.matmul3(a, 0, hidden, n, wq, s.qg, 2 * qDim, wk, s.k, kvDim, wv, s.v, kvDim);
        s.rope.prepare(rope, start, n);
        for (int t = 0; t < n; t++) {
            for (int h = 0; h < heads; h++) {
                // Split the query half of head h out of the interleaved [query | gate] row while normalising it.
                int q = t * qDim + h * headDim;
                qNorm.apply(s.qg, t * 2 * qDim + h * 2 * headDim, s.q, q);
                s.rope.rotate(s.q, q, t);
            }
            for (int j = 0; j < kvHeads; j++) {
                int k = t * kvDim + j * headDim;
                kNorm.apply(s.k, k, s.k, k);
                s.rope.rotate(s.k, k, t);
            }
        }
        cache.append(s.k, 0, s.v, 0, kvDim, n);
        s.task.arm(s.q, s.attn, heads, kvHeads, headDim, scale, cache, start);
        // The gate of head h sits right after its query in the interleaved q_proj row: [query h | gate h].
        s.task.gate(s.qg, 2 * qDim, 2 * headDim, headDim);
        compute.forRange(n * heads, s.task);
        compute.matmul(wo, s.attn, 0, qDim, n, out, 0, hidden);
    }

    /** Per-session buffers (shared by all gated attention layers of a model). */
    public static final class Scratch {
        float[] qg = new float[0];
        float[] q = new float[0];
        float[] k = new float[0];
        float[] v = new float[0];
        float[] attn = new float[0];
        final RopeTable rope = new RopeTable();
        final AttentionCore.CausalTask task = new AttentionCore.CausalTask();

        void ensure(int n, int qDim, int kvDim) {
            if (q.length < n * qDim) {
                qg = new float[2 * n * qDim];
                q = new float[n * qDim];
                attn = new float[n * qDim];
            }
            if (k.length < n * kvDim) {
                k = new float[n * kvDim];
                v = new float[n * kvDim];
            }
        }
    }
}
