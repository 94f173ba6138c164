package dev.tessera.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.TesseraException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The side files of a tokenizer directory that transformers reads next to {@code tokenizer.json}:
 * {@code tokenizer_config.json} (special-token strings, chat template), {@code special_tokens_map.json} (overrides
 * those strings), {@code chat_template.jinja},
 * {@code generation_config.json} and {@code config.json} (EOS ids). Missing files are simply absent.
 */
record TokenizerConfig(Map<String, String> specialTokens, ChatTemplate chatTemplate, JsonNode tokenizerConfig,
        JsonNode generationConfig, JsonNode modelConfig) {
    private static final ObjectMapper JSON = new ObjectMapper();

    static TokenizerConfig load(Path dir) {
        JsonNode tc = dir == null ? null : readJson(dir.resolve("tokenizer_config.json"));
        JsonNode gc = dir == null ? null : readJson(dir.resolve("generation_config.json"));
        JsonNode mc = dir == null ? null : readJson(dir.resolve("config.json"));
        JsonNode stm = dir == null ? null : readJson(dir.resolve("special_tokens_map.json"));
        Map<String, String> specials = new LinkedHashMap<>();
        for (String k : new String[] {"bos_token", "eos_token", "pad_token", "unk_token"}) {
            String v = tc == null ? null : tokenString(tc.get(k));
            // transformers lets special_tokens_map.json override the values of tokenizer_config.json
            if (stm != null && stm.has(k) && tokenString(stm.get(k)) != null) v = tokenString(stm.get(k));
            specials.put(k, v);
        }
        String template = null;
        Path jinja = dir == null ? null : dir.resolve("chat_template.jinja");
        if (jinja != null && Files.isRegularFile(jinja)) {
            try {
                template = Files.readString(jinja);
            } catch (IOException e) {
                throw new TesseraException.InvalidInput("Cannot read " + jinja + ": " + e.getMessage(), e);
            }
        } else if (tc != null && tc.has("chat_template")) {
            JsonNode ct = tc.get("chat_template");
            if (ct.isTextual()) {
                template = ct.asText();
            } else if (ct.isArray()) {
                // a list of named templates: transformers uses the one called "default"
                for (JsonNode t : ct) {
                    if ("default".equals(t.path("name").asText())) template = t.path("template").asText(null);
                }
                if (template == null) {
                    throw new TesseraException.InvalidInput(dir.resolve("tokenizer_config.json")
                            + ": chat_template is a list without a template named \"default\"");
                }
            }
        }
        ChatTemplate ct = template == null ? null : new ChatTemplate(template, specials);
        return new TokenizerConfig(specials, ct, tc, gc, mc);
    }

    /** A special token in tokenizer_config.json: a string, or an AddedToken object with "content". */
    private static String tokenString(JsonNode n) {
        if (n == null || n.isNull()) return null;
        if (n.isTextual()) return n.asText();
        if (n.isObject() && n.has("content")) return n.get("content").asText();
        return null;
    }

    private static JsonNode readJson(Path p) {
        if (!Files.isRegularFile(p)) return null;
        try {
            return JSON.readTree(p.toFile());
        } catch (IOException e) {
            throw new TesseraException.InvalidInput("Cannot parse " + p + ": " + e.getMessage(), e);
        }
    }
}
