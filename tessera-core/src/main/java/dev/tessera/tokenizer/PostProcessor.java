package dev.tessera.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tessera.TesseraException;
import java.util.ArrayList;
import java.util.List;

/** A {@code tokenizer.json} post-processor, for a single sequence: adds the special tokens around the ids. */
interface PostProcessor {
    int[] process(int[] ids);

    static PostProcessor fromJson(JsonNode n, String path) {
        if (n == null || n.isNull()) return null;
        String type = Json.type(n, path);
        return switch (type) {
            case "ByteLevel" -> ids -> ids; // only adjusts offsets, which Tessera does not produce
            case "TemplateProcessing" -> template(n, path);
            case "RobertaProcessing", "BertProcessing" -> {
                int cls = n.path("cls").path(1).asInt(-1), sep = n.path("sep").path(1).asInt(-1);
                if (cls < 0 || sep < 0) {
                    throw new TesseraException.InvalidInput(
                            "tokenizer.json: " + path + ".cls and .sep must be [token, id] pairs");
                }
                yield ids -> {
                    int[] r = new int[ids.length + 2];
                    r[0] = cls;
                    System.arraycopy(ids, 0, r, 1, ids.length);
                    r[r.length - 1] = sep;
                    return r;
                };
            }
            case "Sequence" -> {
                JsonNode arr = Json.array(n, "processors", path);
                List<PostProcessor> list = new ArrayList<>();
                for (int i = 0; i < arr.size(); i++) {
                    PostProcessor p = fromJson(arr.get(i), path + ".processors[" + i + "]");
                    if (p != null) list.add(p);
                }
                yield ids -> {
                    for (PostProcessor p : list) ids = p.process(ids);
                    return ids;
                };
            }
            default -> throw Json.unsupported(path, type);
        };
    }

    private static PostProcessor template(JsonNode n, String path) {
        JsonNode single = Json.array(n, "single", path);
        JsonNode specials = n.path("special_tokens");
        // each element: the fixed ids of a special token, or null for the sequence itself
        List<int[]> parts = new ArrayList<>();
        for (int i = 0; i < single.size(); i++) {
            JsonNode item = single.get(i);
            if (item.has("Sequence")) {
                parts.add(null);
            } else if (item.has("SpecialToken")) {
                String id = item.get("SpecialToken").path("id").asText();
                JsonNode ids = specials.path(id).path("ids");
                if (!ids.isArray()) {
                    throw new TesseraException.InvalidInput("tokenizer.json: " + path + ".special_tokens[\"" + id
                            + "\"].ids is missing (used by " + path + ".single[" + i + "])");
                }
                int[] a = new int[ids.size()];
                for (int k = 0; k < a.length; k++) a[k] = ids.get(k).asInt();
                parts.add(a);
            } else {
                throw new TesseraException.InvalidInput("tokenizer.json: " + path + ".single[" + i
                        + "] must be {\"Sequence\": ...} or {\"SpecialToken\": ...}");
            }
        }
        return ids -> {
            IntList out = new IntList(ids.length + 4);
            for (int[] p : parts) out.addAll(p == null ? ids : p);
            return out.toArray();
        };
    }
}
