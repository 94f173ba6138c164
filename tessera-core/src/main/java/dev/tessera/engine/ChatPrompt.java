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

    /**
     * The prompt ids for a reply, and how many of them the conversation alone accounts for (the rendering without
     * the generation prompt, as far as the two agree): the point a {@link Completer} marks, because the next turn's
     * prompt repeats the conversation but not necessarily this turn's generation prompt.
     */
    public record Reply(int[] ids, int conversationTokens) {}

    public static Reply encodeReply(Tokenizer tokenizer, List<Map<String, Object>> messages, Map<String, Object> kwargs) {
        int[] ids = encode(tokenizer, messages, kwargs);
        Map<String, Object> plain = new LinkedHashMap<>();
        if (kwargs != null) {
            plain.putAll(kwargs);
        }
        plain.put("add_generation_prompt", false);
        int[] conversation;
        try {
            conversation = encode(tokenizer, messages, plain);
        } catch (TesseraException e) {
            return new Reply(ids, ids.length);
        }
        int n = Math.min(ids.length, conversation.length);
        int common = java.util.Arrays.mismatch(ids, 0, n, conversation, 0, n);
        return new Reply(ids, common < 0 ? n : common);
    }

    /** A message map as templates expect it. */
    public static Map<String, Object> message(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }
}
