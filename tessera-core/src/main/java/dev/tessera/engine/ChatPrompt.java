package dev.tessera.engine;

import dev.tessera.TesseraException;
import dev.tessera.tokenizer.ChatTemplate;
import dev.tessera.tokenizer.Tokenizer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A conversation rendered through the model's own chat template and tokenized, as transformers' apply_chat_template. */
public final class ChatPrompt {
    private ChatPrompt() {}

    /**
     * The ids of {@code messages} (maps with {@code role}, {@code content} and whatever else the template reads)
     * ready for the assistant's reply: {@code add_generation_prompt} is true unless {@code kwargs} says otherwise.
     */
    public static int[] encode(Tokenizer tokenizer, List<Map<String, Object>> messages, Map<String, Object> kwargs) {
        ChatTemplate template = tokenizer.chatTemplate().orElseThrow(() -> new TesseraException.InvalidInput(
                "chat needs a chat template, but the tokenizer has none (no chat_template.jinja or chat_template in "
                        + "tokenizer_config.json)"));
        Map<String, Object> vars = new LinkedHashMap<>();
        if (kwargs != null) {
            vars.putAll(kwargs);
        }
        vars.putIfAbsent("add_generation_prompt", true);
        String rendered = template.render(messages, vars);
        // The template already carries any BOS: apply_chat_template never adds special tokens on top.
        return tokenizer.encode(rendered, false);
    }

    /** A message map as templates expect it. */
    public static Map<String, Object> message(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }
}
