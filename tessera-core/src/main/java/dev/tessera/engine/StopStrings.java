package dev.tessera.engine;

import dev.tessera.TesseraException;
import java.util.List;

/**
 * Cuts streamed text at the first of a set of stop strings (OpenAI's {@code stop}). Text arrives in pieces, so a stop
 * string may straddle two of them: the tail that could still grow into a stop string is held back until the next
 * piece decides it, and nothing of a stop string is ever emitted. One per generation stream.
 */
public final class StopStrings {
    private final List<String> stops;
    private final StringBuilder pending = new StringBuilder();
    private boolean stopped;

    public StopStrings(List<String> stops) {
        for (String s : stops) {
            if (s == null || s.isEmpty()) {
                throw new TesseraException.InvalidInput("a stop string must not be empty");
            }
        }
        this.stops = List.copyOf(stops);
    }

    /** Whether a stop string has been seen; afterwards {@link #push} returns nothing. */
    public boolean stopped() {
        return stopped;
    }

    /** Adds a piece of text and returns what is now safe to emit (possibly empty). */
    public String push(String text) {
        if (stopped) {
            return "";
        }
        pending.append(text);
        int cut = -1;
        for (String s : stops) {
            int at = pending.indexOf(s);
            if (at >= 0 && (cut < 0 || at < cut)) {
                cut = at;
            }
        }
        if (cut >= 0) {
            stopped = true;
            String out = pending.substring(0, cut);
            pending.setLength(0);
            return out;
        }
        int keep = heldBack();
        String out = pending.substring(0, pending.length() - keep);
        pending.delete(0, pending.length() - keep);
        return out;
    }

    /** The text held back at the end of the stream (it never became a stop string). */
    public String flush() {
        String out = stopped ? "" : pending.toString();
        pending.setLength(0);
        return out;
    }

    /** Length of the longest tail of the pending text that is a proper prefix of some stop string. */
    private int heldBack() {
        int best = 0;
        String text = pending.toString();
        int n = text.length();
        for (String s : stops) {
            for (int len = Math.min(s.length() - 1, n); len > best; len--) {
                if (text.regionMatches(n - len, s, 0, len)) {
                    best = len;
                    break;
                }
            }
        }
        return best;
    }
}
