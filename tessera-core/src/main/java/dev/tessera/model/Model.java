package dev.tessera.model;

/**
 * A language model as pure computation. {@link #forward} consumes a chunk of one or more tokens that continue the
 * sequence held by {@code state} (at {@code state.position()}), updates the state, and writes what {@code out}
 * asks for. Scratch memory lives in the state; a forward pass allocates nothing once buffers have grown.
 */
public interface Model extends AutoCloseable {
    ModelInfo info();

    ModelState newState();

    void forward(int[] tokens, int from, int count, ModelState state, Logits out);

    /** Convenience for a whole array. */
    default void forward(int[] tokens, ModelState state, Logits out) {
        forward(tokens, 0, tokens.length, state, out);
    }

    @Override
    void close();
}
