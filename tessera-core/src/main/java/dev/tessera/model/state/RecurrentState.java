package dev.tessera.model.state;

import java.util.Arrays;

/**
 * The fp32 matrix memory of a linear-attention layer: one {@code dk × dv} matrix per value head (rows = key
 * dimension), {@code [heads][dk][dv]} row-major. Kept in fp32 whatever the weights are, as HF's kernels do.
 */
public final class RecurrentState {
    private final int heads;
    private final int dk;
    private final int dv;
    private final float[] data;

    public RecurrentState(int heads, int dk, int dv) {
        this.heads = heads;
        this.dk = dk;
        this.dv = dv;
        this.data = new float[Math.multiplyExact(Math.multiplyExact(heads, dk), dv)];
    }

    public float[] data() {
        return data;
    }

    /** Offset of value head h's matrix in {@link #data()}. */
    public int offset(int head) {
        return head * dk * dv;
    }

    public int heads() {
        return heads;
    }

    public void clear() {
        Arrays.fill(data, 0f);
    }

    public void copyFrom(RecurrentState other) {
        if (other.heads != heads || other.dk != dk || other.dv != dv) {
            throw new IllegalArgumentException("recurrent states of different shapes");
        }
        System.arraycopy(other.data, 0, data, 0, data.length);
    }

    public long bytes() {
        return (long) data.length * Float.BYTES;
    }
}
