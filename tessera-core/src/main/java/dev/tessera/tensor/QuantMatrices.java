package dev.tessera.tensor;

import dev.tessera.TesseraException;
import java.lang.foreign.MemorySegment;

/** Shared checks of the quantized matrix views. */
final class QuantMatrices {
    private QuantMatrices() {}

    static void checkPlanes(String name, int rows, int cols, long qBytes, MemorySegment q, MemorySegment scales) {
        if (rows < 0 || cols <= 0) {
            throw new TesseraException.InvalidInput(name + ": invalid quantized shape [" + rows + ", " + cols + "]");
        }
        if (q.byteSize() != qBytes) {
            throw new TesseraException.InvalidInput(name + ": quantized values of [" + rows + ", " + cols + "] need "
                    + qBytes + " bytes, got " + q.byteSize());
        }
        long sBytes = (long) rows * QuantKernels.scalesPerRow(cols) * 2;
        if (scales.byteSize() != sBytes) {
            throw new TesseraException.InvalidInput(name + ": scales of [" + rows + ", " + cols + "] need " + sBytes
                    + " bytes (F16 [" + rows + ", " + QuantKernels.scalesPerRow(cols) + "]), got " + scales.byteSize());
        }
    }
}
