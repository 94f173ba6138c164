package dev.tessera.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.tessera.TesseraException;
import dev.tessera.engine.ChatPrompt;
import dev.tessera.engine.Completer;
import dev.tessera.io.Json;
import dev.tessera.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bodies of {@code /v1/chat/completions} and {@code /v1/completions} turned into prompt ids and generation
 * settings, with OpenAI's field names, defaults and limits. Fields the engine cannot honour are refused by name
 * rather than silently ignored; fields that change nothing here ({@code model}, {@code user}, zero penalties) are
 * accepted.
 */
final class ApiRequests {
    private ApiRequests() {}

    /**
     * What a request asks for. {@code markAt}: prompt tokens the next request is likely to repeat (see
     * {@link Completer}); {@code echo} is the prompt text to put before the completion, or null.
     */
    record Parsed(int[] prompt, int markAt, Completer.Params params, boolean stream, boolean includeUsage, String echo) {}

    /** Server-wide defaults for fields a request leaves out. */
    /** {@code seeds} gives each request without a seed the next value. */
    record Defaults(int maxTokens, double temperature, double topP, int topK, double minP, Map<String, Object> templateKwargs,
                    AtomicLong seeds) {}

    private static final int MAX_STOPS = 16;
    /** Longer stop strings are refused: matching holds back up to this much text per generated token. */
    private static final int MAX_STOP_CHARS = 4096;
    /** Template variables the request's own fields set; chat_template_kwargs may not replace them. */
    private static final Set<String> RESERVED = Set.of("messages", "tools");
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");

    static Parsed chat(JsonNode body, Tokenizer tokenizer, Defaults defaults) {
        requireObject(body);
        JsonNode messages = body.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw ApiError.invalid("messages", "'messages' must be a non-empty array of {role, content} objects");
        }
        List<Map<String, Object>> list = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            list.add(message(messages.get(i), i));
        }
        Map<String, Object> kwargs = new LinkedHashMap<>(defaults.templateKwargs());
        JsonNode extra = body.get("chat_template_kwargs");
        if (extra != null && !extra.isNull()) {
            if (!extra.isObject()) {
                throw ApiError.invalid("chat_template_kwargs", "'chat_template_kwargs' must be an object, e.g. {\"enable_thinking\": false}");
            }
            for (String key : RESERVED) {
                if (extra.has(key)) {
                    throw ApiError.invalid("chat_template_kwargs." + key, "'" + key + "' comes from the request's own field, not from chat_template_kwargs");
                }
            }
            kwargs.putAll(toMap(extra));
        }
        JsonNode tools = body.get("tools");
        if (tools != null && !tools.isNull()) {
            if (!tools.isArray()) {
                throw ApiError.invalid("tools", "'tools' must be an array");
            }
            // The template renders the tool specifications; the reply comes back as text (tool calls are not parsed).
            kwargs.put("tools", Json.MAPPER.convertValue(tools, List.class));
        }
        refuseResponseFormat(body);
        ChatPrompt.Reply prompt;
        try {
            prompt = ChatPrompt.encodeReply(tokenizer, list, kwargs);
        } catch (TesseraException e) {
            throw ApiError.invalid("messages", e.getMessage());
        }
        int maxTokens = body.hasNonNull("max_completion_tokens") ? intField(body, "max_completion_tokens", 0)
                : intField(body, "max_tokens", defaults.maxTokens());
        return new Parsed(prompt.ids(), prompt.conversationTokens(), params(body, defaults, maxTokens), bool(body, "stream", false),
                includeUsage(body), null);
    }

    static Parsed completion(JsonNode body, Tokenizer tokenizer, Defaults defaults) {
        requireObject(body);
        JsonNode p = body.get("prompt");
        int[] prompt;
        String text = null;
        if (p == null || p.isNull()) {
            throw ApiError.invalid("prompt", "'prompt' is required: a string or an array of token ids");
        } else if (p.isTextual()) {
            text = p.asText();
        } else if (p.isArray() && p.size() == 1 && p.get(0).isTextual()) {
            text = p.get(0).asText();
        } else if (p.isArray() && !p.isEmpty() && allInts(p)) {
            prompt = new int[p.size()];
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = p.get(i).asInt();
            }
            // The echoed text of ids is only decoded when asked for: ids past the tokenizer are the engine's to refuse.
            return completionOf(body, prompt, bool(body, "echo", false) ? tokenizer.decode(prompt, false) : null, defaults);
        } else if (p.isArray() && p.size() > 1) {
            throw ApiError.unsupported("prompt", "one prompt per request: batches of prompts are not supported");
        } else {
            throw ApiError.invalid("prompt", "'prompt' must be a string or a non-empty array of token ids");
        }
        if (text.isEmpty()) {
            throw ApiError.invalid("prompt", "'prompt' is empty");
        }
        return completionOf(body, tokenizer.encode(text, true), text, defaults);
    }

    private static Parsed completionOf(JsonNode body, int[] prompt, String text, Defaults defaults) {
        if (body.hasNonNull("suffix")) {
            throw ApiError.unsupported("suffix", "'suffix' (fill in the middle) is not supported");
        }
        if (intField(body, "best_of", 1) != 1) {
            throw ApiError.unsupported("best_of", "'best_of' must be 1");
        }
        if (body.hasNonNull("logprobs") && !(body.get("logprobs").isInt() && body.get("logprobs").asInt() == 0)) {
            throw ApiError.unsupported("logprobs", "'logprobs' is not supported");
        }
        int maxTokens = intField(body, "max_tokens", defaults.maxTokens());
        return new Parsed(prompt, prompt.length, params(body, defaults, maxTokens), bool(body, "stream", false), includeUsage(body),
                bool(body, "echo", false) ? text : null);
    }

    private static Completer.Params params(JsonNode body, Defaults d, int maxTokens) {
        if (maxTokens < 1) {
            String name = body.hasNonNull("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
            throw ApiError.invalid(name, "'" + name + "' must be at least 1");
        }
        if (intField(body, "n", 1) != 1) {
            throw ApiError.unsupported("n", "'n' must be 1: one choice per request");
        }
        for (String penalty : new String[] {"presence_penalty", "frequency_penalty"}) {
            if (number(body, penalty, 0) != 0) {
                throw ApiError.unsupported(penalty, "'" + penalty + "' is not supported (only 0)");
            }
        }
        JsonNode bias = body.get("logit_bias");
        if (bias != null && !bias.isNull() && !bias.isEmpty()) {
            throw ApiError.unsupported("logit_bias", "'logit_bias' is not supported");
        }
        if (body.path("logprobs").asBoolean(false) && body.get("logprobs").isBoolean()) {
            throw ApiError.unsupported("logprobs", "'logprobs' is not supported");
        }
        double temperature = number(body, "temperature", d.temperature());
        if (!(temperature >= 0 && temperature <= 2)) {
            throw ApiError.invalid("temperature", "'temperature' must be between 0 and 2");
        }
        double topP = number(body, "top_p", d.topP());
        if (!(topP >= 0 && topP <= 1)) {
            throw ApiError.invalid("top_p", "'top_p' must be between 0 and 1");
        }
        // 0 (a slider's end) keeps only the most likely token, as the smallest positive value would.
        topP = Math.max(topP, Double.MIN_VALUE);
        int topK = intField(body, "top_k", d.topK());
        if (topK < 0) {
            throw ApiError.invalid("top_k", "'top_k' must be >= 0 (0 keeps every token)");
        }
        double minP = number(body, "min_p", d.minP());
        if (!(minP >= 0 && minP < 1)) {
            throw ApiError.invalid("min_p", "'min_p' must be in [0, 1)");
        }
        long seed = body.hasNonNull("seed") ? longField(body, "seed") : d.seeds().getAndIncrement();
        return new Completer.Params(maxTokens, temperature, topK, topP, minP, seed, stops(body.get("stop")), true);
    }

    private static List<String> stops(JsonNode stop) {
        List<String> out = new ArrayList<>();
        if (stop == null || stop.isNull()) {
            return out;
        }
        if (stop.isTextual()) {
            out.add(stop.asText());
        } else if (stop.isArray()) {
            for (JsonNode s : stop) {
                if (!s.isTextual()) {
                    throw ApiError.invalid("stop", "'stop' must be a string or an array of strings");
                }
                out.add(s.asText());
            }
        } else {
            throw ApiError.invalid("stop", "'stop' must be a string or an array of strings");
        }
        if (out.size() > MAX_STOPS) {
            throw ApiError.invalid("stop", "at most " + MAX_STOPS + " stop strings");
        }
        if (out.stream().anyMatch(String::isEmpty)) {
            throw ApiError.invalid("stop", "stop strings must not be empty");
        }
        if (out.stream().anyMatch(x -> x.length() > MAX_STOP_CHARS)) {
            throw ApiError.invalid("stop", "a stop string may have at most " + MAX_STOP_CHARS + " characters");
        }
        return out;
    }

    private static Map<String, Object> message(JsonNode m, int index) {
        String where = "messages[" + index + "]";
        if (m == null || !m.isObject()) {
            throw ApiError.invalid(where, where + " must be an object with 'role' and 'content'");
        }
        JsonNode role = m.get("role");
        if (role == null || !role.isTextual() || !ROLES.contains(role.asText())) {
            throw ApiError.invalid(where + ".role", where + ".role must be one of " + ROLES.stream().sorted().toList());
        }
        Map<String, Object> out = toMap(m);
        // Chat templates know "system"; OpenAI's newer "developer" role means the same.
        if (role.asText().equals("developer")) {
            out.put("role", "system");
        }
        if (m.path("tool_calls").isArray()) {
            out.put("tool_calls", toolCalls(m.get("tool_calls")));
        }
        JsonNode content = m.get("content");
        if (content == null || content.isNull()) {
            // An assistant turn that only calls tools has null content; templates test and concatenate it as text.
            out.put("content", "");
        } else if (content.isArray()) {
            StringBuilder text = new StringBuilder();
            for (JsonNode part : content) {
                if (!part.path("type").asText().equals("text") || !part.path("text").isTextual()) {
                    throw ApiError.unsupported(where + ".content", "only text content parts are supported (type \"text\")");
                }
                text.append(part.get("text").asText());
            }
            out.put("content", text.toString());
        } else if (!content.isTextual()) {
            throw ApiError.invalid(where + ".content", where + ".content must be a string or an array of text parts");
        }
        return out;
    }

    /**
     * OpenAI sends a call's arguments as a JSON string; Hugging Face chat templates expect the object (some print it
     * with tojson, some iterate over it), as transformers passes it. Arguments that are not a JSON object stay as sent.
     */
    private static List<Object> toolCalls(JsonNode calls) {
        List<Object> out = new ArrayList<>();
        for (JsonNode call : calls) {
            Map<String, Object> c = toMap(call);
            JsonNode fn = call.get("function");
            if (fn != null && fn.path("arguments").isTextual()) {
                Map<String, Object> f = toMap(fn);
                try {
                    JsonNode args = Json.MAPPER.readTree(fn.get("arguments").asText());
                    if (args != null && args.isObject()) {
                        f.put("arguments", toMap(args));
                    }
                } catch (java.io.IOException e) {
                    // Not JSON: the template gets the string.
                }
                c.put("function", f);
            }
            out.add(c);
        }
        return out;
    }

    private static void refuseResponseFormat(JsonNode body) {
        JsonNode f = body.get("response_format");
        if (f != null && !f.isNull() && !f.path("type").asText("text").equals("text")) {
            throw ApiError.unsupported("response_format", "'response_format' other than text (JSON mode, schemas) is not supported");
        }
    }

    private static boolean includeUsage(JsonNode body) {
        return body.path("stream_options").path("include_usage").asBoolean(false);
    }

    private static void requireObject(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw ApiError.invalid(null, "the request body must be a JSON object");
        }
    }

    private static boolean allInts(ArrayNode a) {
        for (JsonNode n : a) {
            if (!n.isIntegralNumber() || !n.canConvertToInt()) {
                return false;
            }
        }
        return true;
    }

    private static boolean allInts(JsonNode a) {
        return a instanceof ArrayNode arr && allInts(arr);
    }

    private static int intField(JsonNode body, String name, int fallback) {
        JsonNode n = body.get(name);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw ApiError.invalid(name, "'" + name + "' must be an integer");
        }
        return n.asInt();
    }

    private static long longField(JsonNode body, String name) {
        JsonNode n = body.get(name);
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw ApiError.invalid(name, "'" + name + "' must be an integer");
        }
        return n.asLong();
    }

    private static double number(JsonNode body, String name, double fallback) {
        JsonNode n = body.get(name);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isNumber()) {
            throw ApiError.invalid(name, "'" + name + "' must be a number");
        }
        return n.asDouble();
    }

    private static boolean bool(JsonNode body, String name, boolean fallback) {
        JsonNode n = body.get(name);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isBoolean()) {
            throw ApiError.invalid(name, "'" + name + "' must be true or false");
        }
        return n.asBoolean();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> toMap(JsonNode object) {
        return new LinkedHashMap<>(Json.MAPPER.convertValue(object, Map.class));
    }
}
