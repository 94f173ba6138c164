package dev.tessera.model.state;

import dev.tessera.TesseraException;
import java.util.Arrays;

/**
 * Keys and values of one attention layer, position-major ({@code [t][kvHeads·headDim]}) so that appending a
 * chunk never moves what is cached. Grows by doubling up to the context length; a decode step appends in place.
 */
public final class KvCache {
    private static final int INITIAL_POSITIONS = 256;

    private final int width;
    private final int maxPositions;
    private float[] keys;
    private float[] values;
    private int length;

    public KvCache(int kvHeads, int headDim, int maxPositions) {
        this.width = kvHeads * headDim;
        this.maxPositions = maxPositions;
        int initial = Math.min(maxPositions, INITIAL_POSITIONS);
        this.keys = new float[initial * width];
        this.values = new float[initial * width];
    }

    /** Floats per position (kvHeads × headDim). */
    public int width() {
        return width;
    }

    public int length() {
        return length;
    }

    public float[] keys() {
        return keys;
    }

    public float[] values() {
        return values;
    }

    /** Appends n positions whose k/v rows sit at {@code k[kOff + t·stride]}. */
    public void append(float[] k, int kOff, float[] v, int vOff, int stride, int n) {
        ensure(length + n);
        for (int t = 0; t < n; t++) {
            System.arraycopy(k, kOff + t * stride, keys, (length + t) * width, width);
            System.arraycopy(v, vOff + t * stride, values, (length + t) * width, width);
        }
        length += n;
    }

    private void ensure(int positions) {
        if (positions > maxPositions) {
            throw new TesseraException.ContextOverflow(
                    "sequence of " + positions + " tokens exceeds the context length of " + maxPositions);
        }
        int capacity = keys.length / width;
        if (positions > capacity) {
            int grown = (int) Math.min(maxPositions, Math.max(positions, 2L * capacity));
            keys = Arrays.copyOf(keys, grown * width);
            values = Arrays.copyOf(values, grown * width);
        }
    }

    public void clear() {
        length = 0;
    }

    /** Forgets the positions from {@code newLength} on (what lies below is untouched). */
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate a cache of " + length + " positions to " + newLength);
        }
        length = newLength;
    }

    public void copyFrom(KvCache other) {
        if (other.width != width) {
            throw new IllegalArgumentException("KV caches of different shapes");
        }
        ensure(other.length);
        System.arraycopy(other.keys, 0, keys, 0, other.length * width);
        System.arraycopy(other.values, 0, values, 0, other.length * width);
        length = other.length;
    }

    public KvCache copy() {
        KvCache c = new KvCache(width, 1, maxPositions);
        c.keys = Arrays.copyOf(keys, Math.max(width, length * width));
        c.values = Arrays.copyOf(values, Math.max(width, length * width));
        c.length = length;
        return c;
    }

    public long bytes() {
        return 2L * length * width * Float.BYTES;
    }
}
