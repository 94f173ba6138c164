package dev.tessera.model.layers;

import dev.tessera.model.state.KvCache;
import dev.tessera.tensor.Compute;
import dev.tessera.tensor.Kernels;
import dev.tessera.tensor.Matrix;
import dev.tessera.tensor.Rope;
import dev.tessera.tensor.WorkerPool;

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
        s.ensure(n, qDim, kvDim, rope.half());
        compute.matmul3(a, 0, hidden, n, wq, s.qg, 2 * qDim, wk, s.k, kvDim, wv, s.v, kvDim);
        int half = rope.half();
        for (int t = 0; t < n; t++) {
            rope.angles(start + t, s.cos, s.sin);
            for (int h = 0; h < heads; h++) {
                // Split the query half of head h out of the interleaved [query | gate] row while normalising it.
                int q = t * qDim + h * headDim;
                qNorm.apply(s.qg, t * 2 * qDim + h * 2 * headDim, s.q, q);
                Kernels.rope(s.q, q, s.cos, s.sin, half);
            }
            for (int j = 0; j < kvHeads; j++) {
                int k = t * kvDim + j * headDim;
                kNorm.apply(s.k, k, s.k, k);
                Kernels.rope(s.k, k, s.cos, s.sin, half);
            }
        }
        cache.append(s.k, 0, s.v, 0, kvDim, n);
        s.task.arm(this, cache, start);
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
        float[] cos = new float[0];
        float[] sin = new float[0];
        final AttendTask task = new AttendTask(this);

        void ensure(int n, int qDim, int kvDim, int half) {
            if (q.length < n * qDim) {
                qg = new float[2 * n * qDim];
                q = new float[n * qDim];
                attn = new float[n * qDim];
            }
            if (k.length < n * kvDim) {
                k = new float[n * kvDim];
                v = new float[n * kvDim];
            }
            if (cos.length < half) {
                cos = new float[half];
                sin = new float[half];
            }
        }
    }

    /** One (token, query head) per index: causal attention over the cache, then the sigmoid output gate. */
    static final class AttendTask implements WorkerPool.RangeTask {
        private final Scratch s;
        private GatedAttention layer;
        private KvCache cache;
        private int start;

        AttendTask(Scratch s) {
            this.s = s;
        }

        void arm(GatedAttention layer, KvCache cache, int start) {
            this.layer = layer;
            this.cache = cache;
            this.start = start;
        }

        @Override
        public void run(int from, int to) {
            GatedAttention l = layer;
            int d = l.headDim;
            int group = l.heads / l.kvHeads;
            int qDim = l.heads * d;
            for (int i = from; i < to; i++) {
                int t = i / l.heads;
                int h = i % l.heads;
                int off = t * qDim + h * d;
                AttentionCore.attend(s.q, off, cache.keys(), cache.values(), cache.width(), (h / group) * d,
                        start + t + 1, d, l.scale, s.attn, off);
                Kernels.sigmoidMul(s.qg, t * 2 * qDim + h * 2 * d + d, s.attn, off, d);
            }
        }
    }
}
