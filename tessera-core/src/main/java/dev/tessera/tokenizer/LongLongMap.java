package dev.tessera.tokenizer;

import java.util.Arrays;

/** Open-addressing long→long hash map: the BPE merge table is hit once per symbol pair, boxing would dominate. */
final class LongLongMap {
    private static final long EMPTY = Long.MIN_VALUE;
    private long[] keys;
    private long[] values;
    private int size;
    private int mask;

    LongLongMap(int expected) {
        int cap = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
        keys = new long[cap];
        values = new long[cap];
        Arrays.fill(keys, EMPTY);
        mask = cap - 1;
    }

    private static int mix(long k) {
        k *= 0x9E3779B97F4A7C15L;
        return (int) (k ^ (k >>> 32));
    }

    /** Stores {@code v} unless the key is present (first insertion wins, like the lowest merge rank). */
    boolean putIfAbsent(long k, long v) {
        if ((size + 1) * 2 > keys.length) grow();
        int i = mix(k) & mask;
        while (keys[i] != EMPTY) {
            if (keys[i] == k) return false;
            i = (i + 1) & mask;
        }
        keys[i] = k;
        values[i] = v;
        size++;
        return true;
    }

    long get(long k, long missing) {
        int i = mix(k) & mask;
        while (true) {
            long key = keys[i];
            if (key == k) return values[i];
            if (key == EMPTY) return missing;
            i = (i + 1) & mask;
        }
    }

    private void grow() {
        long[] ok = keys, ov = values;
        keys = new long[ok.length * 2];
        values = new long[ok.length * 2];
        Arrays.fill(keys, EMPTY);
        mask = keys.length - 1;
        size = 0;
        for (int i = 0; i < ok.length; i++) {
            if (ok[i] != EMPTY) putIfAbsent(ok[i], ov[i]);
        }
    }
}
