package dev.tessera.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** A {@code tokenizer.json} normalizer: text → text, applied to each piece that is not an added token. */
interface Normalizer {
    String normalize(String s);

    static Normalizer fromJson(JsonNode n, String path) {
        if (n == null || n.isNull()) return null;
        String type = Json.type(n, path);
        return switch (type) {
            case "NFC" -> s -> java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFC);
            case "NFD" -> s -> java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFD);
            case "NFKC" -> s -> java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFKC);
            case "NFKD" -> s -> java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFKD);
            case "Lowercase" -> s -> s.toLowerCase(java.util.Locale.ROOT);
            case "Prepend" -> {
                String p = Json.text(n, "prepend", path);
                // Rust prepends only to non-empty text
                yield s -> s.isEmpty() ? s : p + s;
            }
            case "Replace" -> {
                java.util.function.UnaryOperator<String> replace = Json.replacer(n, path);
                yield replace::apply;
            }
            case "Strip" -> {
                boolean left = n.path("strip_left").asBoolean(true), right = n.path("strip_right").asBoolean(true);
                yield s -> {
                    int a = 0, b = s.length();
                    while (left && a < b && Chars.isWhiteSpace(s.codePointAt(a))) a += Character.charCount(s.codePointAt(a));
                    while (right && b > a && Chars.isWhiteSpace(s.codePointBefore(b))) b -= Character.charCount(s.codePointBefore(b));
                    return s.substring(a, b);
                };
            }
            case "Sequence" -> {
                JsonNode arr = Json.array(n, "normalizers", path);
                List<Normalizer> list = new ArrayList<>();
                for (int i = 0; i < arr.size(); i++) {
                    Normalizer x = fromJson(arr.get(i), path + ".normalizers[" + i + "]");
                    if (x != null) list.add(x);
                }
                yield s -> {
                    for (Normalizer x : list) s = x.normalize(s);
                    return s;
                };
            }
            default -> throw Json.unsupported(path, type);
        };
    }
}
