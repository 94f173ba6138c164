package dev.tessera.convert;

import dev.tessera.io.WeightSource;
import dev.tessera.tensor.Matrix;
import dev.tessera.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Passes a model's weight requests through and records them: which tensors the model uses, and which it uses as
 * a matrix (a linear layer or an embedding) rather than as a plain tensor (norms, conv kernels, SSM parameters).
 * Building the model over a recorder is how the converter learns the architecture's tensors without a per-family
 * list. Closing it does nothing: the caller owns the source.
 */
final class Recorder implements WeightSource {
    private final WeightSource inner;
    /** Tensor name → requested as a matrix ({@code <module>.weight} via {@link #matrix}). */
    final Map<String, Boolean> used = new LinkedHashMap<>();

    Recorder(WeightSource inner) {
        this.inner = inner;
    }

    private synchronized void note(String name, boolean matrix) {
        used.merge(name, matrix, (a, b) -> a || b);
    }

    @Override
    public String describe() {
        return inner.describe();
    }

    @Override
    public Set<String> names() {
        return inner.names();
    }

    @Override
    public boolean has(String name) {
        return inner.has(name);
    }

    @Override
    public Tensor tensor(String name) {
        note(name, false);
        return inner.tensor(name);
    }

    @Override
    public Tensor tensor(String name, long... shape) {
        note(name, false);
        return inner.tensor(name, shape);
    }

    @Override
    public Matrix matrix(String module) {
        note(module + ".weight", true);
        return inner.matrix(module);
    }

    @Override
    public Matrix matrix(String module, int rows, int cols) {
        note(module + ".weight", true);
        return inner.matrix(module, rows, cols);
    }

    @Override
    public float[] vector(String name, int n) {
        note(name, false);
        return inner.vector(name, n);
    }

    @Override
    public float[] floats(String name) {
        note(name, false);
        return inner.floats(name);
    }

    @Override
    public void close() {}
}
