package dev.tessera.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.TesseraException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Typed access to a Hugging Face {@code config.json} (or its {@code text_config} section). Every error names the
 * key and the file, so a user can fix the checkpoint.
 */
public final class HfConfig {
    private final JsonNode node;
    private final String where;

    public HfConfig(JsonNode node, String where) {
        if (node == null || !node.isObject()) {
            throw new TesseraException.InvalidInput(where + ": expected a JSON object");
        }
        this.node = node;
        this.where = where;
    }

    public static HfConfig read(Path file) {
        return new HfConfig(Json.read(file), file.toString());
    }

    public JsonNode json() {
        return node;
    }

    public String where() {
        return where;
    }

    public boolean has(String key) {
        JsonNode v = node.get(key);
        return v != null && !v.isNull();
    }

    /** A nested object, e.g. {@code text_config}, or null when absent. */
    public HfConfig section(String key) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isObject()) {
            throw bad(key, "must be an object");
        }
        return new HfConfig(v, where + " → " + key);
    }

    public String string(String key) {
        JsonNode v = require(key);
        if (!v.isTextual()) {
            throw bad(key, "must be a string, got " + v);
        }
        return v.asText();
    }

    public String string(String key, String fallback) {
        return has(key) ? string(key) : fallback;
    }

    public int integer(String key) {
        JsonNode v = require(key);
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw bad(key, "must be an integer, got " + v);
        }
        return v.asInt();
    }

    public int integer(String key, int fallback) {
        return has(key) ? integer(key) : fallback;
    }

    public double number(String key) {
        JsonNode v = require(key);
        if (!v.isNumber()) {
            throw bad(key, "must be a number, got " + v);
        }
        return v.asDouble();
    }

    public double number(String key, double fallback) {
        return has(key) ? number(key) : fallback;
    }

    public boolean bool(String key, boolean fallback) {
        if (!has(key)) {
            return fallback;
        }
        JsonNode v = node.get(key);
        if (!v.isBoolean()) {
            throw bad(key, "must be true or false, got " + v);
        }
        return v.asBoolean();
    }

    public List<String> strings(String key) {
        JsonNode v = require(key);
        if (!v.isArray()) {
            throw bad(key, "must be an array of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isTextual()) {
                throw bad(key, "must be an array of strings, found " + e);
            }
            out.add(e.asText());
        }
        return out;
    }

    /** An int or a list of ints (e.g. {@code eos_token_id}); empty when absent. */
    public List<Integer> intOrList(String key) {
        List<Integer> out = new ArrayList<>();
        if (!has(key)) {
            return out;
        }
        JsonNode v = node.get(key);
        if (v.isIntegralNumber()) {
            out.add(v.asInt());
        } else if (v.isArray()) {
            for (JsonNode e : v) {
                if (!e.isIntegralNumber()) {
                    throw bad(key, "must be an integer or a list of integers");
                }
                out.add(e.asInt());
            }
        } else {
            throw bad(key, "must be an integer or a list of integers, got " + v);
        }
        return out;
    }

    private JsonNode require(String key) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            throw new TesseraException.InvalidInput(where + ": missing required key '" + key + "'");
        }
        return v;
    }

    public TesseraException bad(String key, String what) {
        return new TesseraException.InvalidInput(where + ": key '" + key + "' " + what);
    }

    public ObjectNode copy() {
        return (ObjectNode) node.deepCopy();
    }
}
