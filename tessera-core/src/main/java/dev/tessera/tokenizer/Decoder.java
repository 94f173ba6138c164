package dev.tessera.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@code tokenizer.json} decoder, as the Rust {@code decode_chain}: a list of token strings in, a list out; the
 * final text is the concatenation.
 *
 * <p>{@code atStart} is false when the tokens are a window in the middle of a longer sequence (streaming decode).
 * The decoders that treat the very first token specially (Metaspace drops its prefix space, Strip trims the start)
 * then leave it alone, so that window texts concatenate to the full decode.
 */
interface Decoder {
    List<String> decode(List<String> tokens, boolean atStart);

    static Decoder fromJson(JsonNode n, String path) {
        if (n == null || n.isNull()) return null;
        String type = Json.type(n, path);
        return switch (type) {
            case "Sequence" -> {
                JsonNode arr = Json.array(n, "decoders", path);
                List<Decoder> list = new ArrayList<>();
                for (int i = 0; i < arr.size(); i++) {
                    Decoder d = fromJson(arr.get(i), path + ".decoders[" + i + "]");
                    if (d != null) list.add(d);
                }
                yield (tokens, atStart) -> {
                    for (Decoder d : list) tokens = d.decode(tokens, atStart);
                    return tokens;
                };
            }
            case "ByteLevel" -> (tokens, atStart) -> List.of(byteLevel(tokens));
            case "Replace" -> {
                java.util.function.UnaryOperator<String> replace = Json.replacer(n, path);
                yield (tokens, atStart) -> {
                    List<String> out = new ArrayList<>(tokens.size());
                    for (String t : tokens) out.add(replace.apply(t));
                    return out;
                };
            }
            case "ByteFallback" -> (tokens, atStart) -> byteFallback(tokens);
            case "Fuse" -> (tokens, atStart) -> List.of(String.join("", tokens));
            case "Strip" -> {
                String content = Json.text(n, "content", path);
                int cc = content.codePointAt(0);
                int start = n.path("start").asInt(0), stop = n.path("stop").asInt(0);
                yield (tokens, atStart) -> {
                    List<String> out = new ArrayList<>(tokens.size());
                    for (String t : tokens) out.add(strip(t, cc, atStart ? start : 0, stop));
                    return out;
                };
            }
            case "Metaspace" -> {
                String replacement = Json.text(n, "replacement", path);
                String scheme = n.has("prepend_scheme")
                        ? n.get("prepend_scheme").asText()
                        : (n.path("add_prefix_space").asBoolean(true) ? "always" : "never");
                boolean dropFirst = !scheme.equals("never");
                yield (tokens, atStart) -> {
                    List<String> out = new ArrayList<>(tokens.size());
                    for (int i = 0; i < tokens.size(); i++) {
                        // Rust removes every replacement char of the first token, not only a leading one
                        String r = i == 0 && atStart && dropFirst ? "" : " ";
                        out.add(tokens.get(i).replace(replacement, r));
                    }
                    return out;
                };
            }
            case "BPEDecoder" -> {
                String suffix = n.path("suffix").asText("</w>");
                yield (tokens, atStart) -> {
                    List<String> out = new ArrayList<>(tokens.size());
                    for (int i = 0; i < tokens.size(); i++) {
                        out.add(tokens.get(i).replace(suffix, i == tokens.size() - 1 ? "" : " "));
                    }
                    return out;
                };
            }
            default -> throw Json.unsupported(path, type);
        };
    }

    /** Byte-level chars back to bytes; a token with any other char contributes its own UTF-8 bytes. */
    private static String byteLevel(List<String> tokens) {
        Utf8.Bytes bytes = new Utf8.Bytes();
        for (String t : tokens) {
            boolean all = true;
            for (int i = 0; i < t.length() && all; i++) all = ByteLevel.byteOf(t.charAt(i)) >= 0;
            if (all) {
                for (int i = 0; i < t.length(); i++) bytes.write(ByteLevel.byteOf(t.charAt(i)));
            } else {
                bytes.writeBytes(t.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        return Utf8.decodeLossy(bytes.buf(), bytes.size());
    }

    /** {@code <0xAB>} tokens are gathered into bytes; invalid UTF-8 gives one U+FFFD per byte, as in Rust. */
    private static List<String> byteFallback(List<String> tokens) {
        List<String> out = new ArrayList<>(tokens.size());
        Utf8.Bytes pending = new Utf8.Bytes();
        for (String t : tokens) {
            int b = byteToken(t);
            if (b >= 0) {
                pending.write(b);
                continue;
            }
            flushBytes(pending, out);
            out.add(t);
        }
        flushBytes(pending, out);
        return out;
    }

    private static void flushBytes(Utf8.Bytes pending, List<String> out) {
        if (pending.size() == 0) return;
        if (Utf8.isValid(pending.buf(), pending.size())) {
            out.add(new String(pending.buf(), 0, pending.size(), java.nio.charset.StandardCharsets.UTF_8));
        } else {
            for (int i = 0; i < pending.size(); i++) out.add("\uFFFD");
        }
        pending.reset();
    }

    static int byteToken(String t) {
        if (t.length() != 6 || !t.startsWith("<0x") || t.charAt(5) != '>') return -1;
        int hi = Character.digit(t.charAt(3), 16), lo = Character.digit(t.charAt(4), 16);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }

    private static String strip(String t, int content, int start, int stop) {
        int[] cps = t.codePoints().toArray();
        int a = 0;
        for (int i = 0; i < Math.min(start, cps.length); i++) {
            if (cps[i] == content) a = i + 1;
            else break;
        }
        int b = cps.length;
        for (int i = 0; i < stop && cps.length - i - 1 >= 0; i++) {
            int idx = cps.length - i - 1;
            if (cps[idx] == content) b = idx;
            else break;
        }
        if (b < a) b = a;
        return new String(cps, a, b - a);
    }
}
