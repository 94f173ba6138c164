package dev.tessera.convert;

import dev.tessera.TesseraException;
import dev.tessera.model.synthetic.SyntheticWeights;
import dev.tessera.tensor.DType;
import java.nio.ByteBuffer;

/** fp32 rows to stored float bytes (round to nearest even), refusing values the target cannot hold. */
final class Encoding {
    private Encoding() {}

    static void encode(float[] row, int n, DType dtype, ByteBuffer out, String name) {
        switch (dtype) {
            case F32 -> {
                for (int i = 0; i < n; i++) {
                    out.putFloat(row[i]);
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    out.putShort(SyntheticWeights.toBf16(row[i]));
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    short h = Float.floatToFloat16(row[i]);
                    if (Float.isInfinite(Float.float16ToFloat(h)) && !Float.isInfinite(row[i])) {
                        throw new TesseraException.InvalidInput("tensor '" + name + "' holds " + row[i]
                                + ", beyond the fp16 range (±65504); use --quant bf16 for this model");
                    }
                    out.putShort(h);
                }
            }
            default -> throw new TesseraException.Unsupported("cannot store tensor '" + name + "' as " + dtype);
        }
    }
}
