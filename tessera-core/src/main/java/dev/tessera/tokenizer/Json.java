package dev.tessera.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tessera.TesseraException;

/** Small helpers to read {@code tokenizer.json} sections with errors that name the JSON path. */
final class Json {
    private Json() {}

    static String type(JsonNode n, String path) {
        if (n == null || !n.isObject()) {
            throw new TesseraException.InvalidInput("tokenizer.json: " + path + " must be an object, got " + n);
        }
        JsonNode t = n.get("type");
        if (t == null || !t.isTextual()) {
            throw new TesseraException.InvalidInput("tokenizer.json: " + path + ".type is missing");
        }
        return t.asText();
    }

    static String text(JsonNode n, String field, String path) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new TesseraException.InvalidInput(
                    "tokenizer.json: " + path + "." + field + " must be a string, got " + v);
        }
        return v.asText();
    }

    static JsonNode array(JsonNode n, String field, String path) {
        JsonNode v = n.get(field);
        if (v == null || !v.isArray()) {
            throw new TesseraException.InvalidInput(
                    "tokenizer.json: " + path + "." + field + " must be an array, got " + v);
        }
        return v;
    }

    static TesseraException unsupported(String path, String type) {
        return new TesseraException.Unsupported("tokenizer.json: " + path + ".type \"" + type
                + "\" is not supported by Tessera's tokenizer");
    }

    /**
     * The replace-all function of a Replace normalizer/decoder. A literal {"String": s} pattern uses
     * {@link String#replace} (a regex per token would dominate decoding time).
     */
    static java.util.function.UnaryOperator<String> replacer(JsonNode n, String path) {
        String content = text(n, "content", path);
        JsonNode p = n.get("pattern");
        if (p != null && p.has("String")) {
            String literal = p.get("String").asText();
            if (literal.isEmpty()) return s -> s;
            return s -> s.replace(literal, content);
        }
        java.util.regex.Pattern pat = pattern(n, path);
        String quoted = java.util.regex.Matcher.quoteReplacement(content);
        return s -> pat.matcher(s).replaceAll(quoted);
    }

    /** A Replace/Split "pattern": {"String": s} (literal) or {"Regex": r}. */
    static java.util.regex.Pattern pattern(JsonNode n, String path) {
        JsonNode p = n.get("pattern");
        if (p != null && p.has("String")) {
            return java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(p.get("String").asText()));
        }
        if (p != null && p.has("Regex")) {
            return Regexes.compile(p.get("Regex").asText(), path + ".pattern.Regex");
        }
        throw new TesseraException.InvalidInput(
                "tokenizer.json: " + path + ".pattern must be {\"String\": ...} or {\"Regex\": ...}, got " + p);
    }
}
