package dev.tessera.model.layers;

import dev.tessera.tensor.Kernels;

/**
 * Granite's Mamba2 output norm: {@code w ⊙ rms(y ⊙ silu(z))} — gate first, then one RMS over the <em>whole</em>
 * inner width, even when the mixer has several B/C groups (HF normalises the full width; the original mamba_ssm
 * kernel normalised per group, which is a different model). Qwen3.5 does the opposite order per head.
 */
public final class GateThenNorm {
    private final float[] weight;
    private final float eps;

    public GateThenNorm(float[] weight, double eps) {
        this.weight = weight;
        this.eps = (float) eps;
    }

    public int size() {
        return weight.length;
    }

    /**
     * Writes {@code w ⊙ rms(y ⊙ silu(z))} to {@code out} (which may be {@code y}); {@code z} is overwritten by the
     * gated product {@code silu(z) ⊙ y}.
     */
    public void apply(float[] y, int yOff, float[] z, int zOff, float[] out, int outOff) {
        int n = weight.length;
        Kernels.siluMul(z, zOff, y, yOff, n);
        Kernels.rmsNorm(z, zOff, weight, false, eps, out, outOff, n);
    }
}
