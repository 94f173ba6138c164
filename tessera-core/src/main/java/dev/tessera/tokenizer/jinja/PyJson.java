package dev.tessera.tokenizer.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps(value, ensure_ascii=False, indent=..., separators=..., sort_keys=...)}: the
 * {@code tojson} filter transformers installs. Default separators are {@code ", "} and {@code ": "} (or
 * {@code ","} between items when indenting); key order is kept; non-ASCII is written as is.
 */
final class PyJson {
    private PyJson() {}

    static String dumps(Object v, Integer indent, String itemSep, String keySep, boolean sortKeys) {
        StringBuilder sb = new StringBuilder();
        String is = itemSep != null ? itemSep : (indent != null ? "," : ", ");
        String ks = keySep != null ? keySep : ": ";
        write(sb, v, indent, is, ks, sortKeys, 0);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object v, Integer indent, String is, String ks, boolean sort, int depth) {
        if (v == null || v == Py.UNDEFINED) {
            sb.append("null");
        } else if (v instanceof Boolean b) {
            sb.append(b ? "true" : "false");
        } else if (v instanceof Double d) {
            sb.append(Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity") : Py.floatRepr(d));
        } else if (v instanceof Number n) {
            sb.append(n);
        } else if (v instanceof String s) {
            string(sb, s);
        } else if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                sb.append("{}");
                return;
            }
            List<Map.Entry<?, ?>> entries = new ArrayList<>(m.entrySet());
            if (sort) entries.sort((a, b) -> Py.compare(String.valueOf(a.getKey()), String.valueOf(b.getKey())));
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : entries) {
                if (!first) sb.append(is);
                first = false;
                newline(sb, indent, depth + 1);
                string(sb, String.valueOf(e.getKey()));
                sb.append(ks);
                write(sb, e.getValue(), indent, is, ks, sort, depth + 1);
            }
            newline(sb, indent, depth);
            sb.append('}');
        } else if (v instanceof List<?> l) {
            if (l.isEmpty()) {
                sb.append("[]");
                return;
            }
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) sb.append(is);
                newline(sb, indent, depth + 1);
                write(sb, l.get(i), indent, is, ks, sort, depth + 1);
            }
            newline(sb, indent, depth);
            sb.append(']');
        } else if (v instanceof Py.Namespace ns) {
            write(sb, ns.attrs, indent, is, ks, sort, depth);
        } else {
            throw new TemplateException("Object of type " + Py.typeName(v) + " is not JSON serializable");
        }
    }

    private static void newline(StringBuilder sb, Integer indent, int depth) {
        if (indent == null) return;
        sb.append('\n');
        sb.append(" ".repeat(indent * depth));
    }

    private static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }
}
