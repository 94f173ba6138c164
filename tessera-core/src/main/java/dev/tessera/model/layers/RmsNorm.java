package dev.tessera.model.layers;

import dev.tessera.tensor.Kernels;

/** RMSNorm with weight {@code w} ({@code w ⊙ x̂}) or zero-centred weight ({@code (1 + w) ⊙ x̂}, Qwen3.5). */
public final class RmsNorm {
    private final float[] weight;
    private final float eps;
    private final boolean onePlusWeight;

    public RmsNorm(float[] weight, double eps, boolean onePlusWeight) {
        this.weight = weight;
        this.eps = (float) eps;
        this.onePlusWeight = onePlusWeight;
    }

    public int size() {
        return weight.length;
    }

    /** Normalises {@code n} consecutive rows of {@code size()} values. */
    public void apply(float[] x, float[] out, int n) {
        int d = weight.length;
        for (int t = 0; t < n; t++) {
            Kernels.rmsNorm(x, t * d, weight, onePlusWeight, eps, out, t * d, d);
        }
    }

    /** Normalises one vector of {@code size()} values in place or into out. */
    public void apply(float[] x, int xOff, float[] out, int outOff) {
        Kernels.rmsNorm(x, xOff, weight, onePlusWeight, eps, out, outOff, weight.length);
    }
}
