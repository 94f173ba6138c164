package dev.tessera.model;

import dev.tessera.model.state.KvCache;

/**
 * Everything a model carries between forward passes for one sequence (KV caches, conv windows, recurrent states)
 * plus the session's scratch buffers. Owned by a session; snapshots are deep copies (prefix reuse, tests that
 * compare prefill with step-by-step decode, and the gate's seeded decode all need them).
 */
public abstract class ModelState {
    protected int position;
    /** Bumped whenever the sequence is replaced or shortened: marks taken before then no longer apply. */
    protected int epoch;

    /** Tokens consumed so far: the position of the next token. */
    public int position() {
        return position;
    }

    /** Forgets the sequence (state back to zero) but keeps buffers. */
    public abstract void reset();

    /** A deep copy of the sequence state (not of scratch buffers). */
    public abstract ModelState snapshot();

    /** Makes this state equal to a snapshot taken from a state of the same model. */
    public abstract void restore(ModelState snapshot);

    /** Bytes held by the sequence state (caches and recurrent states). */
    public abstract long stateBytes();

    /** The fixed-size state arrays (conv windows, Mamba2 / DeltaNet states), in a fixed order; none for pure attention. */
    protected abstract float[][] recurrentArrays();

    /** The attention caches (null entries are skipped). */
    protected abstract KvCache[] kvCaches();

    /**
     * A point of the sequence to come back to with {@link #rewind}. Cheaper than a snapshot: it copies only the
     * fixed-size recurrent states; attention caches are shortened on rewind, since what they hold below the mark is
     * never overwritten while the sequence grows from it.
     */
    public static final class Mark {
        private ModelState of;
        private int epoch;
        private int position;
        private float[][] saved = new float[0][];

        public int position() {
            return position;
        }
    }

    /** Records the current position into {@code mark} (reused: its buffers are kept between marks). */
    public Mark mark(Mark mark) {
        Mark m = mark != null ? mark : new Mark();
        float[][] src = recurrentArrays();
        if (m.saved.length != src.length) {
            m.saved = new float[src.length][];
        }
        for (int i = 0; i < src.length; i++) {
            if (m.saved[i] == null || m.saved[i].length != src[i].length) {
                m.saved[i] = new float[src[i].length];
            }
            System.arraycopy(src[i], 0, m.saved[i], 0, src[i].length);
        }
        m.of = this;
        m.epoch = epoch;
        m.position = position;
        return m;
    }

    /**
     * Goes back to {@code mark}, if it was taken from this state and the sequence has only grown since (no reset,
     * restore or earlier rewind in between). Returns whether it did; if not, nothing changed.
     */
    public boolean rewind(Mark mark) {
        if (mark == null || mark.of != this || mark.epoch != epoch || mark.position > position) {
            return false;
        }
        float[][] dst = recurrentArrays();
        for (int i = 0; i < dst.length; i++) {
            System.arraycopy(mark.saved[i], 0, dst[i], 0, dst[i].length);
        }
        for (KvCache c : kvCaches()) {
            if (c != null) {
                c.truncate(mark.position);
            }
        }
        position = mark.position;
        epoch++;
        return true;
    }
}
