package dev.tessera.io;

import dev.tessera.TesseraException;
import dev.tessera.tensor.Matrix;
import dev.tessera.tensor.Tensor;
import java.util.Set;

/**
 * Named tensors, wherever they come from: a Hugging Face checkpoint, a Tessera bundle, or random weights generated
 * in memory. Models ask for what they need by name; a source hands out views, never copies.
 */
public interface WeightSource extends AutoCloseable {
    /** Human-readable origin (a folder, "synthetic:..."), used in error messages. */
    String describe();

    Set<String> names();

    boolean has(String name);

    /** The tensor stored under exactly this name. */
    Tensor tensor(String name);

    /**
     * The weight matrix of a linear layer given its module path ({@code model.layers.0.self_attn.q_proj}): the
     * {@code .weight} tensor, or a quantized pair ({@code .qweight} + {@code .scales}) in a bundle.
     */
    default Matrix matrix(String module) {
        String name = module + ".weight";
        if (!has(name)) {
            throw new TesseraException.InvalidInput("missing tensor '" + name + "' in " + describe());
        }
        return tensor(name).asMatrix();
    }

    /** A small tensor widened to fp32 (norm weights, biases, per-head scalars). */
    default float[] floats(String name) {
        if (!has(name)) {
            throw new TesseraException.InvalidInput("missing tensor '" + name + "' in " + describe());
        }
        return tensor(name).toFloatArray();
    }

    @Override
    void close();
}
