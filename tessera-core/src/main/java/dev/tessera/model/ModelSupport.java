package dev.tessera.model;

import dev.tessera.TesseraException;
import dev.tessera.io.HfConfig;
import dev.tessera.io.WeightSource;
import dev.tessera.tensor.Matrix;

/** Checks and small helpers every architecture file shares. */
public final class ModelSupport {
    private ModelSupport() {}

    /** Rejects ids outside the vocabulary and chunks that would run past the context. */
    public static void checkChunk(int[] tokens, int from, int count, int position, int vocab, int context) {
        if (count <= 0) {
            throw new TesseraException.InvalidInput("empty chunk: at least one token is needed");
        }
        if (from < 0 || from + count > tokens.length) {
            throw new IllegalArgumentException("chunk [" + from + ", " + (from + count) + ") outside array of " + tokens.length);
        }
        for (int i = from; i < from + count; i++) {
            int id = tokens[i];
            if (id < 0 || id >= vocab) {
                throw new TesseraException.InvalidInput(
                        "token id " + id + " at index " + i + " is outside the vocabulary (ids 0.." + (vocab - 1) + ")");
            }
        }
        if ((long) position + count > context) {
            throw new TesseraException.InvalidInput("the sequence would hold " + ((long) position + count)
                    + " tokens, more than the context length of " + context
                    + " (shorten the prompt, or raise --context if the model allows it)");
        }
    }

    public static void requireSilu(HfConfig cfg) {
        String act = cfg.string("hidden_act", "silu");
        if (!act.equals("silu")) {
            throw new TesseraException.Unsupported(cfg.where() + ": hidden_act '" + act + "' is not supported (only silu)");
        }
    }

    /** Untied head, or the embedding when tied (HF re-ties even if an lm_head tensor is present). */
    public static Matrix head(WeightSource w, HfConfig cfg, boolean tied, Matrix embedding, int vocab, int hidden) {
        if (tied) {
            if (w.has("lm_head.weight")) {
                System.err.println("tessera: note: tie_word_embeddings is true but " + w.describe()
                        + " also stores lm_head.weight; using the embedding as the head, as transformers does");
            }
            return embedding;
        }
        if (!w.has("lm_head.weight") && !w.has("lm_head.qweight")) {
            throw new TesseraException.InvalidInput(cfg.where() + " says tie_word_embeddings is false, but "
                    + w.describe() + " has no lm_head.weight");
        }
        return w.matrix("lm_head", vocab, hidden);
    }
}
