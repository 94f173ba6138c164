package dev.tessera.model.layers;

import dev.tessera.model.state.KvCache;
import dev.tessera.tensor.Compute;
import dev.tessera.tensor.Matrix;
import dev.tessera.tensor.Rope;
import dev.tessera.tensor.RopeTable;

/**
 * Causal grouped-query attention (GQA): {@code heads} query heads share {@code kvHeads} key/value heads
 * (query head h reads KV head {@code h / (heads / kvHeads)}), optional rotate-half RoPE on q and k (none for
 * Granite's NoPE layers), a configurable score scale, and the output projection.
 */
public final class Attention {
    private final Matrix wq;
    private final Matrix wk;
    private final Matrix wv;
    private final Matrix wo;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final float scale;
    private final Rope rope;

    public Attention(Matrix wq, Matrix wk, Matrix wv, Matrix wo, int heads, int kvHeads, int headDim, double scale, Rope rope) {
        this.wq = wq;
        this.wk = wk;
        this.wv = wv;
        this.wo = wo;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.scale = (float) scale;
        this.rope = rope;
    }

    public KvCache newCache(int maxPositions) {
        return new KvCache(kvHeads, headDim, maxPositions);
    }

    /**
     * {@code out[t] = Wo · attention(a[t])} for the n rows of {@code a} (hidden width each), tokens at positions
     * {@code start .. start+n-1}; appends their keys and values to {@code cache}.
     */
    public void forward(Compute compute, float[] a, int n, int hidden, int start, KvCache cache, Scratch s, float[] out) {
        int qDim = heads * headDim;
        int kvDim = kvHeads * headDim;
        s.ensure(n, qDim, kvDim);
        compute.matmul3(a, 0, hidden, n, wq, s.q, qDim, wk, s.k, kvDim, wv, s.v, kvDim);
        if (rope != null) {
            s.rope.prepare(rope, start, n);
            for (int t = 0; t < n; t++) {
                for (int h = 0; h < heads; h++) {
                    s.rope.rotate(s.q, t * qDim + h * headDim, t);
                }
                for (int h = 0; h < kvHeads; h++) {
                    s.rope.rotate(s.k, t * kvDim + h * headDim, t);
                }
            }
        }
        cache.append(s.k, 0, s.v, 0, kvDim, n);
        s.task.arm(s.q, s.attn, heads, kvHeads, headDim, scale, cache, start);
        compute.forRange(n * heads, s.task);
        compute.matmul(wo, s.attn, 0, qDim, n, out, 0, hidden);
    }

    /** Per-session buffers of this layer kind (shared by all attention layers of a model). */
    public static final class Scratch {
        float[] q = new float[0];
        float[] k = new float[0];
        float[] v = new float[0];
        float[] attn = new float[0];
        final RopeTable rope = new RopeTable();
        final AttentionCore.CausalTask task = new AttentionCore.CausalTask();

        void ensure(int n, int qDim, int kvDim) {
            if (q.length < n * qDim) {
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
