package dev.tessera.tensor;

import dev.tessera.TesseraException;

/** Element types as safetensors names them. Q8 and Q4 weights are stored as I8 / U8 planes plus F16 scales. */
public enum DType {
    F64(8),
    F32(4),
    F16(2),
    BF16(2),
    I64(8),
    I32(4),
    I16(2),
    I8(1),
    U8(1),
    BOOL(1);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    public boolean isFloat() {
        return this == F64 || this == F32 || this == F16 || this == BF16;
    }

    /** The safetensors spelling of this dtype. */
    public String safetensorsName() {
        return name();
    }

    public static DType fromSafetensors(String name, String where) {
        for (DType d : values()) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        throw new TesseraException.InvalidInput("unknown dtype '" + name + "' in " + where
                + " (Tessera reads F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)");
    }
}
