package dev.tessera.io;

import dev.tessera.TesseraException;
import dev.tessera.tensor.DType;
import java.util.Locale;

/**
 * How a bundle stores its weights.
 * <ul>
 *   <li>{@code bf16}, {@code fp16}: every weight of two or more dimensions (linear layers, embedding, conv kernels)
 *       in that float type; 1-D tensors (norms, biases, A_log, dt_bias, D) keep their source dtype.</li>
 *   <li>{@code int8lin} / {@code int4lin}: every linear layer quantized per block of 32 input columns (int8 / int4);
 *       embedding, norms, conv1d and the SSM parameters keep their source dtype; the head stays as the source has it
 *       (a tied head stays tied to the unquantized embedding).</li>
 *   <li>{@code int8hu} / {@code int4hu}: the {@code lin} form plus an untied int8 head {@code lm_head.qweight/scales};
 *       for a tied model that head is a quantized copy of the embedding (the embedding itself stays unquantized).</li>
 * </ul>
 */
public enum QuantScheme {
    BF16("bf16", DType.BF16, 0, 0),
    FP16("fp16", DType.F16, 0, 0),
    INT8LIN("int8lin", null, 8, 0),
    INT8HU("int8hu", null, 8, 8),
    INT4LIN("int4lin", null, 4, 0),
    INT4HU("int4hu", null, 4, 8);

    public static final String NAMES = "bf16, fp16, int8lin, int8hu, int4lin, int4hu";

    private final String id;
    private final DType floatType;
    private final int linearBits;
    private final int headBits;

    QuantScheme(String id, DType floatType, int linearBits, int headBits) {
        this.id = id;
        this.floatType = floatType;
        this.linearBits = linearBits;
        this.headBits = headBits;
    }

    public String id() {
        return id;
    }

    /** Target dtype of the multi-dimensional weights for the float schemes; null for the quantized ones. */
    public DType floatType() {
        return floatType;
    }

    public boolean quantized() {
        return linearBits > 0;
    }

    public int linearBits() {
        return linearBits;
    }

    /** 8 when the head is stored quantized and untied (the hu forms), else 0. */
    public int headBits() {
        return headBits;
    }

    public static QuantScheme parse(String s) {
        String k = s.trim().toLowerCase(Locale.ROOT);
        if (k.equals("f16")) {
            k = "fp16";
        }
        for (QuantScheme q : values()) {
            if (q.id.equals(k)) {
                return q;
            }
        }
        throw new TesseraException.InvalidInput("unknown quantization scheme '" + s + "' (available: " + NAMES + ")");
    }

    /** True for the module names of token embeddings (all supported families call it {@code embed_tokens}). */
    public static boolean isEmbedding(String module) {
        return module.endsWith("embed_tokens") || module.endsWith(".wte") || module.endsWith("word_embeddings");
    }

    public static boolean isHead(String module) {
        return module.equals("lm_head");
    }

    /** Bits for the matrix of this module (a weight the model uses as a matrix), 0 = not quantized. */
    public int bitsFor(String module) {
        if (isEmbedding(module)) {
            return 0;
        }
        return isHead(module) ? headBits : linearBits;
    }

    /**
     * A copy of {@code config} that says the head is untied ({@code tie_word_embeddings: false} at the top level and
     * in {@code text_config} when present): what a model built from an hu bundle of a tied model must read, since
     * the bundle stores a separate quantized {@code lm_head}.
     */
    public static com.fasterxml.jackson.databind.node.ObjectNode untiedConfig(
            com.fasterxml.jackson.databind.node.ObjectNode config) {
        var copy = config.deepCopy();
        copy.put("tie_word_embeddings", false);
        if (copy.get("text_config") instanceof com.fasterxml.jackson.databind.node.ObjectNode text) {
            text.put("tie_word_embeddings", false);
        }
        return copy;
    }

    @Override
    public String toString() {
        return id;
    }
}
