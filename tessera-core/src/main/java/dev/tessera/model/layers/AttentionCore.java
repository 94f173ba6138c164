package dev.tessera.model.layers;

import dev.tessera.tensor.Kernels;

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
}
