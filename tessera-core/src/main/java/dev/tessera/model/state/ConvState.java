package dev.tessera.model.state;

import java.util.Arrays;

/**
 * The rolling window of a causal depthwise conv1d: the last {@code K-1} <em>pre-conv</em> input columns, oldest
 * first, stored time-major ({@code [K-1][channels]}) so that a chunk's rows and the window's rows have the same
 * layout and every update is a contiguous copy. Zero rows stand for positions before the sequence start (the
 * conv's left padding). HF keeps K columns, the oldest of which is never read again; K-1 is enough.
 */
public final class ConvState {
    private final int channels;
    private final int columns;
    private final float[] window;

    /** @param kernel the conv kernel size K (the window keeps K-1 columns) */
    public ConvState(int channels, int kernel) {
        this.channels = channels;
        this.columns = kernel - 1;
        this.window = new float[channels * columns];
    }

    public int channels() {
        return channels;
    }

    /** Columns held (K-1). */
    public int columns() {
        return columns;
    }

    /** Row j (0 = oldest) starts at {@code j · channels()}. */
    public float[] window() {
        return window;
    }

    /**
     * Slides the window past {@code n} new input rows {@code src[srcOff + t·stride ..]} (t = 0..n-1, each
     * {@code channels()} wide): afterwards it holds the last K-1 rows of (old window ++ new rows).
     */
    public void push(float[] src, int srcOff, int stride, int n) {
        int keep = Math.max(0, columns - n);
        if (keep > 0) {
            // Overlapping move to the front; System.arraycopy copies as if through a temporary.
            System.arraycopy(window, (columns - keep) * channels, window, 0, keep * channels);
        }
        int first = n - (columns - keep);
        for (int j = keep; j < columns; j++) {
            System.arraycopy(src, srcOff + (first + j - keep) * stride, window, j * channels, channels);
        }
    }

    public void clear() {
        Arrays.fill(window, 0f);
    }

    public void copyFrom(ConvState o) {
        if (o.channels != channels || o.columns != columns) {
            throw new IllegalArgumentException("conv states of different shapes");
        }
        System.arraycopy(o.window, 0, window, 0, window.length);
    }

    public long bytes() {
        return (long) window.length * Float.BYTES;
    }
}
