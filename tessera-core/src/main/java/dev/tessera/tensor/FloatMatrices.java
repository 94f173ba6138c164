package dev.tessera.tensor;

import java.lang.foreign.MemorySegment;

/** Shared checks of the 16/32-bit float matrix views. */
final class FloatMatrices {
    private FloatMatrices() {}

    static void checkSize(String name, int rows, int cols, MemorySegment data, int bytesPerElement) {
        long expected = (long) rows * cols * bytesPerElement;
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException(
                    name + ": " + rows + "x" + cols + " needs " + expected + " bytes, got " + data.byteSize());
        }
    }
}
