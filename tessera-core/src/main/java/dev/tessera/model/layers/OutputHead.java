package dev.tessera.model.layers;

import dev.tessera.model.Logits;
import dev.tessera.tensor.Compute;
import dev.tessera.tensor.Kernels;
import dev.tessera.tensor.Matrix;

/**
 * Final norm and language-model head (the embedding matrix when tied), with Granite's logits divisor. Writes what
 * the {@link Logits} request asks for: every row, the last row, or the last row's argmax.
 */
public final class OutputHead {
    private final RmsNorm norm;
    private final Matrix head;
    private final float divisor;

    public OutputHead(RmsNorm norm, Matrix head, double divisor) {
        this.norm = norm;
        this.head = head;
        this.divisor = (float) divisor;
    }

    public Matrix head() {
        return head;
    }

    public void forward(Compute compute, float[] hidden, int n, int width, float[] normed, Logits out) {
        int vocab = head.rows();
        float[] data = out.prepare(n);
        int first = out.mode() == Logits.Mode.ALL ? 0 : n - 1;
        int rows = n - first;
        for (int t = first; t < n; t++) {
            norm.apply(hidden, t * width, normed, (t - first) * width);
        }
        compute.matmul(head, normed, 0, width, rows, data, 0, vocab);
        if (divisor != 1f) {
            // HF divides; multiplying by 1/x would differ in the last bit.
            for (int i = 0; i < rows * vocab; i++) {
                data[i] /= divisor;
            }
        }
        if (out.mode() == Logits.Mode.ARGMAX) {
            out.setArgmax(Kernels.argmax(data, 0, vocab));
        }
    }
}
