package dev.tessera.engine;

import dev.tessera.TesseraException;
import dev.tessera.model.Logits;
import dev.tessera.model.Model;
import dev.tessera.model.ModelState;

/**
 * One sequence being processed by a model: its state, chunked prefill, and single-token decode steps. Buffers are
 * allocated here once; a decode step allocates nothing.
 */
public final class Session {
    public static final int DEFAULT_CHUNK = 128;

    private final Model model;
    private final ModelState state;
    private final int chunkSize;
    private final Logits last;
    private final int[] one = new int[1];

    public Session(Model model, int chunkSize) {
        if (chunkSize < 1) {
            throw new TesseraException.InvalidInput("chunk size must be at least 1, got " + chunkSize);
        }
        this.model = model;
        this.state = model.newState();
        this.chunkSize = chunkSize;
        this.last = Logits.last(model.info().vocabSize());
    }

    public Model model() {
        return model;
    }

    public ModelState state() {
        return state;
    }

    public int position() {
        return state.position();
    }

    public int chunkSize() {
        return chunkSize;
    }

    /** The logits after the last token fed (valid after a prefill or step). */
    public Logits lastLogits() {
        return last;
    }

    /** Feeds tokens in chunks; afterwards {@link #lastLogits()} holds the last token's logits. */
    public void prefill(int[] tokens) {
        prefill(tokens, 0, tokens.length, null);
    }

    /**
     * Feeds tokens in chunks. With {@code all} non-null, every token's logits are written there (teacher forcing);
     * the last token's logits are also left in {@link #lastLogits()}.
     */
    public void prefill(int[] tokens, int from, int count, float[][] all) {
        if (count <= 0) {
            throw new TesseraException.InvalidInput("empty prompt: at least one token is needed");
        }
        int context = model.info().contextLength();
        if ((long) state.position() + count > context) {
            throw new TesseraException.ContextOverflow("the prompt has " + count + " tokens"
                    + (state.position() > 0 ? " after " + state.position() + " already in the session" : "")
                    + ", more than the context length of " + context);
        }
        Logits allOut = all != null ? Logits.all(model.info().vocabSize(), Math.min(chunkSize, count)) : null;
        for (int start = 0; start < count; start += chunkSize) {
            int n = Math.min(chunkSize, count - start);
            boolean isLast = start + n >= count;
            if (allOut != null) {
                model.forward(tokens, from + start, n, state, allOut);
                int v = allOut.vocab();
                for (int t = 0; t < n; t++) {
                    all[start + t] = allOut.row(t);
                }
                if (isLast) {
                    System.arraycopy(allOut.data(), (n - 1) * v, last.prepare(1), 0, v);
                }
            } else {
                model.forward(tokens, from + start, n, state, last);
            }
        }
    }

    /** Feeds one token; {@link #lastLogits()} then holds the next-token logits. */
    public void step(int token) {
        one[0] = token;
        model.forward(one, 0, 1, state, last);
    }

    public void reset() {
        state.reset();
    }
}
