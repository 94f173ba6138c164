package dev.tessera.tensor;

/**
 * Rotary position embedding tables, rounded exactly as Hugging Face computes them in fp32: the inverse frequency
 * {@code 1 / θ^(2i/R)} in fp32, then the angle as one fp32 multiply {@code (float) p · invFreq}, then cos/sin of that
 * fp32 angle. At large θ and positions this rounding is part of the model's behaviour.
 */
public final class Rope {
    private final int rotaryDim;
    private final float[] invFreq;

    public Rope(int rotaryDim, double theta) {
        if (rotaryDim <= 0 || rotaryDim % 2 != 0) {
            throw new IllegalArgumentException("rotary dimension must be even and positive: " + rotaryDim);
        }
        this.rotaryDim = rotaryDim;
        this.invFreq = new float[rotaryDim / 2];
        for (int i = 0; i < invFreq.length; i++) {
            float exponent = (float) (2 * i) / (float) rotaryDim;
            invFreq[i] = 1.0f / (float) Math.pow(theta, exponent);
        }
    }

    public int rotaryDim() {
        return rotaryDim;
    }

    public int half() {
        return rotaryDim / 2;
    }

    /** Fills cos/sin (length R/2) for position p. */
    public void angles(int position, float[] cos, float[] sin) {
        angles(position, cos, sin, 0);
    }

    /** Fills {@code cos/sin[off .. off + R/2)} for position p. */
    public void angles(int position, float[] cos, float[] sin, int off) {
        float p = (float) position;
        for (int i = 0; i < invFreq.length; i++) {
            float angle = p * invFreq[i];
            cos[off + i] = (float) Math.cos(angle);
            sin[off + i] = (float) Math.sin(angle);
        }
    }
}
