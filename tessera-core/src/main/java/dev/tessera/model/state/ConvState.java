package dev.tessera.model.state;

import java.util.Arrays;

/**
 * The rolling input window of a causal depthwise conv1d (ARCHITECTURES.md §0.6): the last {@code K-1} pre-conv
 * inputs of every channel, oldest first, zeros before the sequence starts. Stored position-major
 * ({@code [K-1][channels]}) so a chunk's conv can treat the window as rows that precede the chunk's own rows.
 */
public final class ConvState {
    private final int channels;
    private final int taps;
    private final float[] window;

    /** @param kernel the conv kernel size K (the window keeps K-1 inputs) */
    public ConvState(int channels, int kernel) {
        this.channels = channels;
        this.taps = kernel - 1;
        this.window = new float[taps * channels];
    }

    public int channels() {
        return channels;
    }

    /** Inputs kept: K-1. */
    public int length() {
        return taps;
    }

    /** Row-major {@code [K-1][channels]}, row 0 the oldest input. */
    public float[] window() {
        return window;
    }

    /**
     * Slides the window over n new inputs whose rows sit at {@code x[off + t·stride]} (t = 0 is the oldest): the
     * window becomes the last K-1 rows of {@code window ++ x}.
     */
    public void push(float[] x, int off, int stride, int n) {
        int keep = Math.max(0, taps - n);
        if (keep > 0) {
            // Shift the surviving old rows to the front (arraycopy handles the overlap).
            System.arraycopy(window, (taps - keep) * channels, window, 0, keep * channels);
        }
        int first = n - (taps - keep);
        for (int r = keep; r < taps; r++) {
            System.arraycopy(x, off + (first + r - keep) * stride, window, r * channels, channels);
        }
    }

    public void clear() {
        Arrays.fill(window, 0f);
    }

    public void copyFrom(ConvState other) {
        if (other.channels != channels || other.taps != taps) {
            throw new IllegalArgumentException("conv states of different shapes");
        }
        System.arraycopy(other.window, 0, window, 0, window.length);
    }

    public long bytes() {
        return (long) window.length * Float.BYTES;
    }
}
