package dev.tessera.tokenizer;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.TesseraException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a {@code tokenizer.json}. The vocabulary and merges (hundreds of thousands of entries) are streamed
 * straight into a map and a list; everything else becomes a small JSON tree. Building a tree node per entry
 * made loading several times slower.
 */
record TokenizerJson(JsonNode root, Map<String, Integer> vocab, List<Object> merges) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Parses from a Jackson parser positioned before the document. */
    static TokenizerJson read(JsonParser p) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw new TesseraException.InvalidInput("tokenizer.json: the top level must be a JSON object");
        }
        ObjectNode root = JSON.createObjectNode();
        Map<String, Integer> vocab = null;
        List<Object> merges = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            if (name.equals("model") && t == JsonToken.START_OBJECT) {
                ObjectNode model = JSON.createObjectNode();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    JsonToken ft = p.nextToken();
                    if (field.equals("vocab") && ft == JsonToken.START_OBJECT) {
                        vocab = readVocab(p);
                    } else if (field.equals("merges") && ft == JsonToken.START_ARRAY) {
                        merges = readMerges(p);
                    } else {
                        model.set(field, JSON.readTree(p));
                    }
                }
                root.set("model", model);
            } else {
                root.set(name, JSON.readTree(p));
            }
        }
        return new TokenizerJson(root, vocab, merges);
    }

    static TokenizerJson read(String json) throws IOException {
        try (JsonParser p = JSON.getFactory().createParser(json)) {
            return read(p);
        }
    }

    static TokenizerJson read(java.io.InputStream in) throws IOException {
        try (JsonParser p = JSON.getFactory().createParser(in)) {
            return read(p);
        }
    }

    private static Map<String, Integer> readVocab(JsonParser p) throws IOException {
        Map<String, Integer> vocab = new HashMap<>(1 << 18);
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String token = p.currentName();
            JsonToken v = p.nextToken();
            if (v != JsonToken.VALUE_NUMBER_INT || p.getLongValue() < 0 || p.getLongValue() > Integer.MAX_VALUE) {
                throw new TesseraException.InvalidInput(
                        "tokenizer.json: model.vocab[\"" + token + "\"] must be a non-negative integer id, got " + p.getText());
            }
            vocab.put(token, p.getIntValue());
        }
        return vocab;
    }

    /** Each merge as given: a String "a b" or a String[2]; BpeModel validates them with their index. */
    private static List<Object> readMerges(JsonParser p) throws IOException {
        List<Object> merges = new ArrayList<>(1 << 17);
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t == JsonToken.VALUE_STRING) {
                merges.add(p.getText());
            } else if (t == JsonToken.START_ARRAY) {
                List<String> pair = new ArrayList<>(2);
                JsonToken e;
                while ((e = p.nextToken()) != JsonToken.END_ARRAY) {
                    if (e != JsonToken.VALUE_STRING) {
                        throw new TesseraException.InvalidInput("tokenizer.json: model.merges[" + merges.size()
                                + "] must be a string \"a b\" or an array [\"a\", \"b\"]");
                    }
                    pair.add(p.getText());
                }
                merges.add(pair.toArray(new String[0]));
            } else {
                throw new TesseraException.InvalidInput("tokenizer.json: model.merges[" + merges.size()
                        + "] must be a string \"a b\" or an array [\"a\", \"b\"], got " + p.getText());
            }
        }
        return merges;
    }
}
