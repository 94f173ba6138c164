package dev.tessera.model.layers;

import dev.tessera.tensor.Compute;
import dev.tessera.tensor.Kernels;
import dev.tessera.tensor.Matrix;

/**
 * {@code down · (silu(gate · x) ⊙ (up · x))}. Gate and up are either two matrices (Llama, Qwen) or one matrix whose
 * first half of rows is the gate and second half the up projection (Granite's {@code input_linear}); both read
 * the input in one fused pass.
 */
public final class SwiGluMlp {
    private final Matrix gate;
    private final Matrix up;
    private final Matrix gateUp;
    private final Matrix down;
    private final int width;

    private SwiGluMlp(Matrix gate, Matrix up, Matrix gateUp, Matrix down, int width) {
        this.gate = gate;
        this.up = up;
        this.gateUp = gateUp;
        this.down = down;
        this.width = width;
    }

    public static SwiGluMlp separate(Matrix gate, Matrix up, Matrix down) {
        return new SwiGluMlp(gate, up, null, down, gate.rows());
    }

    /** One matrix of {@code 2·width} rows: {@code [gate | up]}. */
    public static SwiGluMlp fused(Matrix gateUp, Matrix down) {
        return new SwiGluMlp(null, null, gateUp, down, gateUp.rows() / 2);
    }

    public void forward(Compute compute, float[] a, int n, int hidden, Scratch s, float[] out) {
        s.ensure(n, width);
        if (gateUp != null) {
            compute.matmul(gateUp, a, 0, hidden, n, s.gateUp, 0, 2 * width);
            for (int t = 0; t < n; t++) {
                int base = t * 2 * width;
                Kernels.siluMul(s.gateUp, base, s.gateUp, base + width, width);
            }
            // The activated gate sits in the first half of each row: read it in place with a 2·width stride.
            compute.matmul(down, s.gateUp, 0, 2 * width, n, out, 0, hidden);
        } else {
            compute.matmul2(a, 0, hidden, n, gate, s.g, width, up, s.u, width);
            for (int t = 0; t < n; t++) {
                Kernels.siluMul(s.g, t * width, s.u, t * width, width);
            }
            compute.matmul(down, s.g, 0, width, n, out, 0, hidden);
        }
    }

    /** Per-session buffers (shared by all MLP layers of a model). */
    public static final class Scratch {
        float[] g = new float[0];
        float[] u = new float[0];
        float[] gateUp = new float[0];

        void ensure(int n, int width) {
            if (g.length < n * width) {
                g = new float[n * width];
                u = new float[n * width];
            }
            if (gateUp.length < 2 * n * width) {
                gateUp = new float[2 * n * width];
            }
        }
    }
}
