package dev.tessera.tensor;

/**
 * cos/sin of the positions of one chunk, computed once per forward pass and shared by every attention layer of a
 * session (the angles depend only on the rotary table and the position, not on the layer).
 */
public final class RopeTable {
    private Rope rope;
    private int start = -1;
    private int count;
    private float[] cos = new float[0];
    private float[] sin = new float[0];

    /** Makes the table hold positions {@code start .. start+n-1} of {@code rope}; free when it already does. */
    public void prepare(Rope rope, int start, int n) {
        if (rope == this.rope && start == this.start && n <= count) {
            return;
        }
        int half = rope.half();
        if (cos.length < n * half) {
            cos = new float[n * half];
            sin = new float[n * half];
        }
        for (int t = 0; t < n; t++) {
            rope.angles(start + t, cos, sin, t * half);
        }
        this.rope = rope;
        this.start = start;
        this.count = n;
    }

    /** Rotates one head ({@code x[off ..]}) of the t-th token of the prepared chunk. */
    public void rotate(float[] x, int off, int t) {
        int half = rope.half();
        Kernels.rope(x, off, cos, sin, t * half, half);
    }
}
