package dev.tessera.model.state;

import java.util.Arrays;

/**
 * The selective-state-space (Mamba2) state of one layer: per head an {@code N × P} matrix in fp32. HF lays it out
 * {@code [heads, P, N]}; Tessera stores each head transposed, {@code [heads][N][P]}, so that the decode update
 * ({@code S·dA + (dt·B)·x}), the read-out ({@code Σ_n C[n]·S[n]}) and the chunked form's state terms are all
 * contiguous vector operations along P with no horizontal reductions. The values are the same; only an import
 * of an HF cache would need the transpose.
 */
public final class SsmState {
    private final int heads;
    private final int headDim;
    private final int dState;
    private final float[] s;

    public SsmState(int heads, int headDim, int dState) {
        this.heads = heads;
        this.headDim = headDim;
        this.dState = dState;
        this.s = new float[Math.multiplyExact(Math.multiplyExact(heads, headDim), dState)];
    }

    public int heads() {
        return heads;
    }

    public int headDim() {
        return headDim;
    }

    public int dState() {
        return dState;
    }

    /** Element (h, n, p) is at {@code offset(h) + n·headDim() + p}. */
    public float[] data() {
        return s;
    }

    public int offset(int head) {
        return head * dState * headDim;
    }

    /** HF's element {@code state[h][p][n]}, for tests and cache import. */
    public float get(int h, int p, int n) {
        return s[offset(h) + n * headDim + p];
    }

    public void clear() {
        Arrays.fill(s, 0f);
    }

    public void copyFrom(SsmState o) {
        if (o.heads != heads || o.headDim != headDim || o.dState != dState) {
            throw new IllegalArgumentException("SSM states of different shapes");
        }
        System.arraycopy(o.s, 0, s, 0, s.length);
    }

    public long bytes() {
        return (long) s.length * Float.BYTES;
    }
}
