package dev.tessera.tokenizer;

import dev.tessera.TesseraException;
import dev.tessera.tokenizer.jinja.JinjaTemplate;
import dev.tessera.tokenizer.jinja.TemplateException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face chat template, rendered as {@code transformers.apply_chat_template(tokenize=False)} does: the
 * template sees {@code messages}, {@code tools} and {@code documents} (None unless given),
 * {@code add_generation_prompt} (false unless given), the special-token strings of {@code tokenizer_config.json}
 * ({@code bos_token}, {@code eos_token}, {@code pad_token}, {@code unk_token}; absent when the config has none) and
 * every extra keyword argument (e.g. {@code enable_thinking}). Kwargs override the special tokens.
 *
 * <p>Rendering uses Tessera's own Jinja2 interpreter ({@link JinjaTemplate}) because the real templates rely on
 * Python syntax and semantics that general Java engines do not parse (e.g. {@code messages[::-1]},
 * {@code namespace(a=1, b=x|length)}, {@code content.split('</think>')[0].rstrip('\n')}).
 */
public final class ChatTemplate {
    private final String source;
    private final JinjaTemplate template;
    private final Map<String, String> specialTokens;

    ChatTemplate(String source, Map<String, String> specialTokens) {
        this.source = source;
        this.specialTokens = new HashMap<>(specialTokens);
        try {
            this.template = JinjaTemplate.parse(source);
        } catch (TemplateException e) {
            throw new TesseraException.InvalidInput("The chat template does not parse: " + e.getMessage(), e);
        }
    }

    /** A template from its source text, with the given special-token strings (names like {@code "bos_token"}). */
    public static ChatTemplate of(String source, Map<String, String> specialTokens) {
        return new ChatTemplate(source, specialTokens);
    }

    /** Loads the chat template of a tokenizer or checkpoint directory; throws if it has none. */
    public static ChatTemplate load(Path dir) {
        Path d = Files.isDirectory(dir) ? dir : dir.toAbsolutePath().getParent();
        ChatTemplate t = TokenizerConfig.load(d).chatTemplate();
        if (t == null) {
            throw new TesseraException.InvalidInput("No chat template in " + d
                    + ": expected chat_template.jinja or a \"chat_template\" in tokenizer_config.json");
        }
        return t;
    }

    /**
     * Renders a conversation. {@code messages} are maps with {@code role}, {@code content} and optional fields
     * ({@code tool_calls}, {@code reasoning_content}...); {@code kwargs} holds {@code add_generation_prompt},
     * {@code tools}, {@code documents} and any template-specific variable.
     *
     * @throws TesseraException.InvalidInput if the template calls {@code raise_exception} (the message is the
     *     template's) or fails while rendering
     */
    public String render(List<Map<String, Object>> messages, Map<String, Object> kwargs) {
        Map<String, Object> ctx = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : specialTokens.entrySet()) {
            if (e.getValue() != null) ctx.put(e.getKey(), e.getValue());
        }
        ctx.put("messages", messages);
        ctx.put("tools", null);
        ctx.put("documents", null);
        ctx.put("add_generation_prompt", false);
        if (kwargs != null) ctx.putAll(kwargs);
        try {
            return template.render(ctx);
        } catch (TemplateException.Raised e) {
            throw new TesseraException.InvalidInput("The chat template rejected the conversation: " + e.getMessage(), e);
        } catch (TemplateException e) {
            throw new TesseraException.InvalidInput("The chat template failed: " + e.getMessage(), e);
        }
    }

    /** Convenience: {@code render(messages, {add_generation_prompt: addGenerationPrompt})}. */
    public String render(List<Map<String, Object>> messages, boolean addGenerationPrompt) {
        return render(messages, Map.of("add_generation_prompt", addGenerationPrompt));
    }

    public String source() {
        return source;
    }
}
