package dev.tessera.model;

/**
 * Everything a model carries between forward passes for one sequence (KV caches, conv windows, recurrent states)
 * plus the session's scratch buffers. Owned by a session; snapshots are deep copies (prefix reuse, tests that
 * compare prefill with step-by-step decode, and the gate's seeded decode all need them).
 */
public abstract class ModelState {
    protected int position;

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
}
