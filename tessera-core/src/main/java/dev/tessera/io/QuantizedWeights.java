package dev.tessera.io;

import dev.tessera.TesseraException;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Matrix;
import dev.tessera.tensor.Q4Matrix;
import dev.tessera.tensor.Q8Matrix;
import dev.tessera.tensor.Quantizer;
import dev.tessera.tensor.Tensor;

/**
 * How a quantized linear layer is stored: {@code <module>.qweight} (I8 {@code [rows, cols]} for int8, U8
 * {@code [rows, ceil(cols/2)]} for packed int4) and {@code <module>.scales} (F16 {@code [rows, ceil(cols/32)]}).
 */
public final class QuantizedWeights {
    private QuantizedWeights() {}

    public static final String QWEIGHT = ".qweight";
    public static final String SCALES = ".scales";

    /**
     * The matrix of a quantized module: int4 as a view over its two planes, int8 as a tiled copy of both (in
     * {@link WeightSource#derivedArena}, or a row-major view when that is null). {@code cols}
     * (0 = unknown) is checked against the planes; int4 with unknown cols assumes an even width.
     */
    public static Matrix matrix(WeightSource w, String module, int cols) {
        String qName = module + QWEIGHT;
        String sName = module + SCALES;
        if (!w.has(sName)) {
            throw new TesseraException.InvalidInput("tensor '" + qName + "' in " + w.describe() + " has no companion '"
                    + sName + "' (a quantized matrix needs both)");
        }
        Tensor q = w.tensor(qName);
        Tensor s = w.tensor(sName);
        if (q.rank() != 2 || s.rank() != 2 || s.dtype() != DType.F16 || s.dim(0) != q.dim(0)) {
            throw new TesseraException.InvalidInput("quantized matrix '" + module + "' in " + w.describe()
                    + ": expected qweight [rows, n] and F16 scales [rows, ceil(cols/32)], got " + q.dtype() + " "
                    + q.shapeString() + " and " + s.dtype() + " " + s.shapeString());
        }
        int rows = q.dim(0);
        int bits;
        int actualCols;
        if (q.dtype() == DType.I8) {
            bits = 8;
            actualCols = q.dim(1);
        } else if (q.dtype() == DType.U8) {
            bits = 4;
            actualCols = cols > 0 ? cols : 2 * q.dim(1);
        } else {
            throw new TesseraException.InvalidInput("tensor '" + qName + "' in " + w.describe() + " has dtype "
                    + q.dtype() + "; quantized weights are I8 (int8) or U8 (packed int4)");
        }
        if (cols > 0 && actualCols != cols) {
            throw new TesseraException.InvalidInput("tensor '" + qName + "' in " + w.describe() + " has " + actualCols
                    + " columns but " + cols + " are expected");
        }
        if (q.dim(1) != Quantizer.rowBytes(bits, actualCols) || s.dim(1) != Quantizer.scalesPerRow(actualCols)) {
            throw new TesseraException.InvalidInput("quantized matrix '" + module + "' in " + w.describe() + ": planes "
                    + q.shapeString() + " / " + s.shapeString() + " do not fit " + actualCols + " columns of int" + bits);
        }
        // Int8 runs on the tiled layout (Q8Matrix): one copy of both planes at load.
        if (bits == 4) {
            return new Q4Matrix(module, rows, actualCols, q.data(), s.data());
        }
        Q8Matrix view = new Q8Matrix(module, rows, actualCols, q.data(), s.data());
        java.lang.foreign.Arena arena = w.derivedArena();
        return arena == null ? view : view.tiled(arena);
    }
}
