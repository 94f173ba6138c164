package dev.tessera.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tessera.TesseraException;
import dev.tessera.io.Json;

/** Parsing helpers for option values. */
final class Args {
    private Args() {}

    /** A JSON array of token ids, e.g. {@code [1, 2, 3]}. */
    static int[] tokenIds(String json, String option) {
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(json);
        } catch (Exception e) {
            throw new TesseraException.InvalidInput(option + " must be a JSON array of token ids, e.g. '[1,2,3]'");
        }
        if (node == null || !node.isArray()) {
            throw new TesseraException.InvalidInput(option + " must be a JSON array of token ids, e.g. '[1,2,3]'");
        }
        int[] ids = new int[node.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                throw new TesseraException.InvalidInput(option + ": element " + i + " (" + v + ") is not a token id");
            }
            ids[i] = v.asInt();
        }
        return ids;
    }

    static String json(int[] ids) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < ids.length; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(ids[i]);
        }
        return sb.append(']').toString();
    }
}
