package dev.tessera.model.layers;

import dev.tessera.model.state.KvCache;
import dev.tessera.tensor.Kernels;
import dev.tessera.tensor.WorkerPool;

/** Causal scaled-dot-product attention of one query head over cached positions {@code 0 .. len-1}. */
public final class AttentionCore {
    private AttentionCore() {}

    /**
     * One-pass (online) softmax: the running maximum rescales the partial sum and output only when it changes, so
     * no score buffer is needed and masked positions are never touched.
     *
     * @param kvOff offset of this head's KV slice inside a position row of {@code width} floats
     */
    public static void attend(float[] q, int qOff, float[] keys, float[] values, int width, int kvOff, int len,
                              int headDim, float scale, float[] out, int outOff) {
        java.util.Arrays.fill(out, outOff, outOff + headDim, 0f);
        float max = Float.NEGATIVE_INFINITY;
        float sum = 0f;
        for (int t = 0; t < len; t++) {
            int row = t * width + kvOff;
            float s = Kernels.dot(q, qOff, keys, row, headDim) * scale;
            if (s > max) {
                float correction = (float) Math.exp(max - s);
                sum *= correction;
                Kernels.scale(out, outOff, headDim, correction);
                max = s;
            }
            float e = (float) Math.exp(s - max);
            sum += e;
            Kernels.axpy(e, values, row, out, outOff, headDim);
        }
        Kernels.scale(out, outOff, headDim, 1f / sum);
    }

    /**
     * Every (token, query head) of a chunk as one parallel index: query head h reads KV head
     * {@code h / (heads / kvHeads)} (repeat-interleave) and attends to the cache up to its own position; with a gate,
     * the head's output is then multiplied by {@code sigmoid(gate)} (Qwen3.5's gated attention). Long-lived: re-armed
     * per call, so a decode step allocates nothing.
     */
    public static final class CausalTask implements WorkerPool.RangeTask {
        private float[] q;
        private float[] out;
        private int heads;
        private int group;
        private int headDim;
        private float scale;
        private KvCache cache;
        private int start;
        private float[] gate;
        private int gateRowStride;
        private int gateHeadStride;
        private int gateHeadOffset;

        /** Queries at {@code q[t·heads·headDim + h·headDim]}, outputs written at the same offsets of {@code out}. */
        public void arm(float[] q, float[] out, int heads, int kvHeads, int headDim, float scale, KvCache cache, int start) {
            this.q = q;
            this.out = out;
            this.heads = heads;
            this.group = heads / kvHeads;
            this.headDim = headDim;
            this.scale = scale;
            this.cache = cache;
            this.start = start;
            this.gate = null;
        }

        /** Gate of head h of token t at {@code gate[t·rowStride + h·headStride + headOffset ..]}. */
        public void gate(float[] gate, int rowStride, int headStride, int headOffset) {
            this.gate = gate;
            this.gateRowStride = rowStride;
            this.gateHeadStride = headStride;
            this.gateHeadOffset = headOffset;
        }

        @Override
        public void run(int from, int to) {
            int d = headDim;
            int qDim = heads * d;
            for (int i = from; i < to; i++) {
                int t = i / heads;
                int h = i % heads;
                int off = t * qDim + h * d;
                attend(q, off, cache.keys(), cache.values(), cache.width(), (h / group) * d, start + t + 1, d, scale, out, off);
                if (gate != null) {
                    Kernels.sigmoidMul(gate, t * gateRowStride + h * gateHeadStride + gateHeadOffset, out, off, d);
                }
            }
        }
    }
}
