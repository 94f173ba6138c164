package dev.tessera.io;

import dev.tessera.TesseraException;
import dev.tessera.tensor.Matrix;
import dev.tessera.tensor.Tensor;
import java.util.Set;

/**
 * Named tensors, wherever they come from: a Hugging Face checkpoint, a Tessera bundle, or random weights generated
 * in memory. Models ask for what they need by name; a source hands out views of its tensors, and for int8 matrices
 * a copy in the layout decode runs on ({@link #derivedArena}).
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
        if (has(module + QuantizedWeights.QWEIGHT)) {
            return QuantizedWeights.matrix(this, module, quantizedCols(module));
        }
        String name = module + ".weight";
        if (!has(name)) {
            throw new TesseraException.InvalidInput("missing tensor '" + name + "' in " + describe());
        }
        return tensor(name).asMatrix();
    }

    /**
     * Memory for what a source derives from its tensors to run them (the tiled copy of an int8 matrix,
     * {@link dev.tessera.tensor.Q8Matrix#tiled}), released with the source; by default an automatic arena, released
     * once nothing refers to it. Null: int8 matrices stay views in their stored row-major layout.
     */
    default java.lang.foreign.Arena derivedArena() {
        return java.lang.foreign.Arena.ofAuto();
    }

    /**
     * Columns of a quantized module's matrix when the planes alone cannot tell (int4 packs two columns a byte, so an
     * odd width is ambiguous); 0 = derive from the planes. Bundles answer from their metadata.
     */
    default int quantizedCols(String module) {
        return 0;
    }

    /**
     * The weight matrix of a module, which must have shape {@code [rows, cols]}; the error names the tensor and
     * both shapes. Sources that fabricate weights (synthetic models) create it at this shape.
     */
    default Matrix matrix(String module, int rows, int cols) {
        Matrix m = has(module + QuantizedWeights.QWEIGHT) ? QuantizedWeights.matrix(this, module, cols) : matrix(module);
        if (m.rows() != rows || m.cols() != cols) {
            String stored = module + (has(module + QuantizedWeights.QWEIGHT) ? QuantizedWeights.QWEIGHT : ".weight");
            throw new TesseraException.InvalidInput("tensor '" + stored + "' in " + describe() + " has shape ["
                    + m.rows() + ", " + m.cols() + "] but the config implies [" + rows + ", " + cols + "]");
        }
        return m;
    }

    /** The tensor stored under this name, which must have exactly this shape. */
    default Tensor tensor(String name, long... shape) {
        if (!has(name)) {
            throw new TesseraException.InvalidInput("missing tensor '" + name + "' in " + describe());
        }
        Tensor t = tensor(name);
        if (!java.util.Arrays.equals(t.shape(), shape)) {
            throw new TesseraException.InvalidInput("tensor '" + name + "' in " + describe() + " has shape "
                    + t.shapeString() + " but the config implies " + java.util.Arrays.toString(shape));
        }
        return t;
    }

    /** A tensor of n elements (any layout, e.g. [n] or [n, 1]) widened to fp32. */
    default float[] vector(String name, int n) {
        if (!has(name)) {
            throw new TesseraException.InvalidInput("missing tensor '" + name + "' in " + describe());
        }
        Tensor t = tensor(name);
        if (t.numel() != n) {
            throw new TesseraException.InvalidInput("tensor '" + name + "' in " + describe() + " has shape "
                    + t.shapeString() + " but the config implies " + n + " elements");
        }
        return t.toFloatArray();
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
