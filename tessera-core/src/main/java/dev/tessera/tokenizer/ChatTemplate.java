package dev.tessera.tokenizer;

import java.util.List;
import java.util.Map;

/** Placeholder, replaced by the Jinja implementation. */
public final class ChatTemplate {
    ChatTemplate(String source, Map<String, String> specialTokens) {}

    public String render(List<Map<String, Object>> messages, Map<String, Object> kwargs) {
        throw new UnsupportedOperationException();
    }
}
