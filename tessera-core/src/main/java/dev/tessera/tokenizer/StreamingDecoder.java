package dev.tessera.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns ids into text one at a time. Each {@link #push} returns only text that is final: a UTF-8 character split
 * across byte-level tokens, or a byte-fallback sequence ({@code <0xE4><0xBD><0xA0>}), is held back until it is
 * complete. The concatenation of all pushes and {@link #flush} equals {@link Tokenizer#decode} of all ids.
 *
 * <p>It keeps a small window of tokens: the tokens of the last emitted chunk (context for decoders that look at
 * neighbours) plus the pending ones. The window is decoded as a whole and the text beyond the context is emitted
 * when it does not end in U+FFFD (an incomplete character). Not thread-safe; one per generation stream.
 */
public final class StreamingDecoder {
    private final Tokenizer tokenizer;
    private final boolean skipSpecialTokens;
    private final List<String> window = new ArrayList<>();
    /** Number of leading window tokens whose text was already emitted. */
    private int contextCount;
    private String contextText = "";
    /** True while the window still starts at the first token of the stream. */
    private boolean atStart = true;

    StreamingDecoder(Tokenizer tokenizer, boolean skipSpecialTokens) {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
    }

    /** Adds one id and returns the newly completed text (possibly empty). */
    public String push(int id) {
        String token = tokenizer.tokenForDecode(id, skipSpecialTokens);
        if (token == null) return "";
        window.add(token);
        String text = tokenizer.decodeTokens(window, atStart);
        if (text.length() <= contextText.length() || text.endsWith("\uFFFD") || !text.startsWith(contextText)) {
            return "";
        }
        String fresh = text.substring(contextText.length());
        // the tokens just emitted become the context of the next window
        if (contextCount > 0) {
            window.subList(0, contextCount).clear();
            atStart = false;
        }
        contextCount = window.size();
        contextText = tokenizer.decodeTokens(window, atStart);
        return fresh;
    }

    /** Returns whatever is still held back (e.g. an incomplete character, as U+FFFD) and resets the decoder. */
    public String flush() {
        String text = tokenizer.decodeTokens(window, atStart);
        String rest = text.startsWith(contextText) ? text.substring(contextText.length()) : text;
        window.clear();
        contextCount = 0;
        contextText = "";
        atStart = true;
        return rest;
    }
}
