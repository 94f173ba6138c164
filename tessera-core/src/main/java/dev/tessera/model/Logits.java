package dev.tessera.model;

/**
 * What a forward pass should produce: the logits of every token of the chunk (teacher forcing), only the last
 * token's logits (sampling), or only the last token's argmax (greedy: the caller never needs the vector).
 * Buffers are allocated once by the caller and reused across steps.
 */
public final class Logits {
    public enum Mode {
        ALL,
        LAST,
        ARGMAX
    }

    private final Mode mode;
    private final int vocab;
    private float[] data;
    private int rows;
    private int argmax = -1;

    private Logits(Mode mode, int vocab, int capacityRows) {
        this.mode = mode;
        this.vocab = vocab;
        this.data = new float[Math.multiplyExact(vocab, Math.max(1, capacityRows))];
    }

    /** Logits for every token of a chunk; grows when a longer chunk arrives. */
    public static Logits all(int vocab, int capacityRows) {
        return new Logits(Mode.ALL, vocab, capacityRows);
    }

    public static Logits last(int vocab) {
        return new Logits(Mode.LAST, vocab, 1);
    }

    public static Logits argmax(int vocab) {
        return new Logits(Mode.ARGMAX, vocab, 1);
    }

    public Mode mode() {
        return mode;
    }

    public int vocab() {
        return vocab;
    }

    /** Rows written by the last forward pass (the chunk length in ALL mode, else 1). */
    public int rows() {
        return rows;
    }

    /** Row-major {@code [rows, vocab]}; valid for ALL and LAST modes (in ARGMAX mode it holds scratch). */
    public float[] data() {
        return data;
    }

    public int argmax() {
        return argmax;
    }

    /** Makes room for {@code n} rows (ALL mode) and records how many the pass will write. */
    public float[] prepare(int n) {
        int need = mode == Mode.ALL ? n : 1;
        if ((long) need * vocab > data.length) {
            data = new float[Math.multiplyExact(need, vocab)];
        }
        rows = need;
        argmax = -1;
        return data;
    }

    public void setArgmax(int id) {
        this.argmax = id;
    }

    /** A copy of row r. */
    public float[] row(int r) {
        float[] out = new float[vocab];
        System.arraycopy(data, r * vocab, out, 0, vocab);
        return out;
    }
}
