package dev.tessera.tokenizer.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The Python {@code str} and {@code list} methods templates call ({@code content.split('</think>')[0].rstrip('\n')}). */
final class Methods {
    private Methods() {}

    static Py.Callable string(String s, String name) {
        return switch (name) {
            case "strip" -> (a, kw) -> strip(s, chars(a), true, true);
            case "lstrip" -> (a, kw) -> strip(s, chars(a), true, false);
            case "rstrip" -> (a, kw) -> strip(s, chars(a), false, true);
            case "split" -> (a, kw) -> split(s, sep(a, kw), maxsplit(a, kw));
            case "rsplit" -> (a, kw) -> rsplit(s, sep(a, kw), maxsplit(a, kw));
            case "splitlines" -> (a, kw) -> {
                List<Object> out = new ArrayList<>();
                for (String line : s.split("\r\n|[\n\r\u000B\f\u001C\u001D\u001E\u0085\u2028\u2029]", -1)) out.add(line);
                if (!out.isEmpty() && ((String) out.get(out.size() - 1)).isEmpty()) out.remove(out.size() - 1);
                return out;
            };
            case "startswith" -> (a, kw) -> affix(s, a, true);
            case "endswith" -> (a, kw) -> affix(s, a, false);
            case "replace" -> (a, kw) -> replace(s, Py.str(a.get(0)), Py.str(a.get(1)), a.size() > 2 ? Py.toLong(a.get(2)) : -1);
            case "lower", "casefold" -> (a, kw) -> s.toLowerCase(Locale.ROOT);
            case "upper" -> (a, kw) -> s.toUpperCase(Locale.ROOT);
            case "title" -> (a, kw) -> title(s);
            case "capitalize" -> (a, kw) -> capitalize(s);
            case "find" -> (a, kw) -> (long) cpIndex(s, s.indexOf(Py.str(a.get(0))));
            case "rfind" -> (a, kw) -> (long) cpIndex(s, s.lastIndexOf(Py.str(a.get(0))));
            case "index" -> (a, kw) -> {
                int i = s.indexOf(Py.str(a.get(0)));
                if (i < 0) throw new TemplateException("substring not found");
                return (long) cpIndex(s, i);
            };
            case "count" -> (a, kw) -> {
                String sub = Py.str(a.get(0));
                if (sub.isEmpty()) return (long) s.codePointCount(0, s.length()) + 1;
                long n = 0;
                for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) n++;
                return n;
            };
            case "join" -> (a, kw) -> {
                StringBuilder sb = new StringBuilder();
                boolean first = true;
                for (Object o : Py.iterate(a.get(0))) {
                    if (!first) sb.append(s);
                    first = false;
                    sb.append(Py.str(o));
                }
                return sb.toString();
            };
            case "removeprefix" -> (a, kw) -> s.startsWith(Py.str(a.get(0))) ? s.substring(Py.str(a.get(0)).length()) : s;
            case "removesuffix" -> (a, kw) -> {
                String x = Py.str(a.get(0));
                return !x.isEmpty() && s.endsWith(x) ? s.substring(0, s.length() - x.length()) : s;
            };
            case "isdigit" -> (a, kw) -> !s.isEmpty() && s.codePoints().allMatch(Character::isDigit);
            case "isalpha" -> (a, kw) -> !s.isEmpty() && s.codePoints().allMatch(Character::isLetter);
            case "isalnum" -> (a, kw) -> !s.isEmpty() && s.codePoints().allMatch(Character::isLetterOrDigit);
            case "isspace" -> (a, kw) -> !s.isEmpty() && s.codePoints().allMatch(Py::isSpace);
            case "islower" -> (a, kw) -> s.chars().anyMatch(Character::isLetter) && s.equals(s.toLowerCase(Locale.ROOT));
            case "isupper" -> (a, kw) -> s.chars().anyMatch(Character::isLetter) && s.equals(s.toUpperCase(Locale.ROOT));
            case "format" -> (a, kw) -> format(s, a, kw);
            default -> null;
        };
    }

    static Py.Callable list(List<?> l, String name) {
        return switch (name) {
            case "index" -> (a, kw) -> {
                for (int i = 0; i < l.size(); i++) if (Py.eq(l.get(i), a.get(0))) return (long) i;
                throw new TemplateException("value is not in list");
            };
            case "count" -> (a, kw) -> l.stream().filter(x -> Py.eq(x, a.get(0))).count();
            case "append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse" -> (a, kw) -> {
                throw new TemplateException("access to list." + name + " is unsafe (the template sandbox is immutable)");
            };
            default -> null;
        };
    }

    private static int cpIndex(String s, int utf16) {
        return utf16 < 0 ? -1 : s.codePointCount(0, utf16);
    }

    private static String chars(List<Object> a) {
        return a.isEmpty() || a.get(0) == null ? null : Py.str(a.get(0));
    }

    private static String sep(List<Object> a, Map<String, Object> kw) {
        Object s = !a.isEmpty() ? a.get(0) : kw.get("sep");
        return s == null ? null : Py.str(s);
    }

    private static int maxsplit(List<Object> a, Map<String, Object> kw) {
        Object m = a.size() > 1 ? a.get(1) : kw.get("maxsplit");
        return m == null ? -1 : (int) Py.toLong(m);
    }

    /** Python strip: {@code chars == null} strips whitespace, otherwise any of the given characters. */
    static String strip(String s, String chars, boolean left, boolean right) {
        int a = 0, b = s.length();
        while (left && a < b && stripped(s.codePointAt(a), chars)) a += Character.charCount(s.codePointAt(a));
        while (right && b > a && stripped(s.codePointBefore(b), chars)) b -= Character.charCount(s.codePointBefore(b));
        return s.substring(a, b);
    }

    private static boolean stripped(int c, String chars) {
        return chars == null ? Py.isSpace(c) : chars.indexOf(new String(Character.toChars(c))) >= 0;
    }

    /** Python {@code str.split(sep=None, maxsplit=-1)}. */
    static List<Object> split(String s, String sep, int maxsplit) {
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            int i = 0, n = s.length();
            while (true) {
                while (i < n && Py.isSpace(s.codePointAt(i))) i += Character.charCount(s.codePointAt(i));
                if (i >= n) break;
                if (maxsplit >= 0 && out.size() == maxsplit) {
                    out.add(strip(s.substring(i), null, false, true));
                    break;
                }
                int j = i;
                while (j < n && !Py.isSpace(s.codePointAt(j))) j += Character.charCount(s.codePointAt(j));
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        if (sep.isEmpty()) throw new TemplateException("empty separator");
        int start = 0;
        while (maxsplit < 0 || out.size() < maxsplit) {
            int i = s.indexOf(sep, start);
            if (i < 0) break;
            out.add(s.substring(start, i));
            start = i + sep.length();
        }
        out.add(s.substring(start));
        return out;
    }

    static List<Object> rsplit(String s, String sep, int maxsplit) {
        if (maxsplit < 0) return split(s, sep, -1);
        if (sep == null) {
            List<Object> all = split(s, null, -1);
            if (all.size() <= maxsplit + 1) return all;
            // rejoining is lossy for whitespace runs; templates use rsplit with an explicit separator
            List<Object> out = new ArrayList<>();
            out.add(String.join(" ", all.subList(0, all.size() - maxsplit).stream().map(Py::str).toList()));
            out.addAll(all.subList(all.size() - maxsplit, all.size()));
            return out;
        }
        List<Object> out = new ArrayList<>();
        int end = s.length();
        while (out.size() < maxsplit) {
            int i = s.lastIndexOf(sep, end - sep.length());
            if (i < 0) break;
            out.add(0, s.substring(i + sep.length(), end));
            end = i;
        }
        out.add(0, s.substring(0, end));
        return out;
    }

    private static boolean affix(String s, List<Object> a, boolean prefix) {
        Object x = a.get(0);
        String target = s;
        if (a.size() > 1 && a.get(1) != null) {
            int start = (int) Py.toLong(a.get(1));
            int n = s.codePointCount(0, s.length());
            if (start < 0) start = Math.max(0, start + n);
            target = start >= n ? "" : s.substring(s.offsetByCodePoints(0, start));
        }
        if (x instanceof List<?> options) {
            for (Object o : options) if (prefix ? target.startsWith(Py.str(o)) : target.endsWith(Py.str(o))) return true;
            return false;
        }
        if (!(x instanceof String str)) {
            throw new TemplateException((prefix ? "startswith" : "endswith")
                    + " first arg must be str or a tuple of str, not " + Py.typeName(x));
        }
        return prefix ? target.startsWith(str) : target.endsWith(str);
    }

    static String replace(String s, String old, String with, long count) {
        if (count < 0) {
            if (old.isEmpty()) {
                StringBuilder sb = new StringBuilder(with);
                s.codePoints().forEach(c -> sb.appendCodePoint(c).append(with));
                return sb.toString();
            }
            return s.replace(old, with);
        }
        StringBuilder sb = new StringBuilder();
        int start = 0;
        for (long k = 0; k < count && !old.isEmpty(); k++) {
            int i = s.indexOf(old, start);
            if (i < 0) break;
            sb.append(s, start, i).append(with);
            start = i + old.length();
        }
        return sb.append(s.substring(start)).toString();
    }

    static String capitalize(String s) {
        if (s.isEmpty()) return s;
        int first = s.codePointAt(0);
        return new String(Character.toChars(Character.toTitleCase(first)))
                + s.substring(Character.charCount(first)).toLowerCase(Locale.ROOT);
    }

    static String title(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean prevCased = false;
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            i += Character.charCount(c);
            boolean cased = Character.isLetter(c);
            sb.appendCodePoint(cased ? (prevCased ? Character.toLowerCase(c) : Character.toTitleCase(c)) : c);
            prevCased = cased;
        }
        return sb.toString();
    }

    /** {@code str.format} with {@code {}}, {@code {0}} and {@code {name}} fields (no format specs). */
    static String format(String s, List<Object> a, Map<String, Object> kw) {
        StringBuilder sb = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '{' && i + 1 < s.length() && s.charAt(i + 1) == '{') {
                sb.append('{');
                i++;
            } else if (c == '}' && i + 1 < s.length() && s.charAt(i + 1) == '}') {
                sb.append('}');
                i++;
            } else if (c == '{') {
                int end = s.indexOf('}', i);
                if (end < 0) throw new TemplateException("Single '{' encountered in format string");
                String field = s.substring(i + 1, end);
                int colon = field.indexOf(':');
                if (colon >= 0) field = field.substring(0, colon);
                Object v;
                if (field.isEmpty()) v = a.get(auto++);
                else if (field.chars().allMatch(Character::isDigit)) v = a.get(Integer.parseInt(field));
                else v = kw.getOrDefault(field, Py.UNDEFINED);
                sb.append(Py.str(v));
                i = end;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** printf-style {@code "%s" % value} with %s, %r, %d, %i, %f (and %%). */
    static String percentFormat(String fmt, Object args) {
        List<Object> values = args instanceof Py.Tuple t ? t.items : List.of(args == null ? "None" : args);
        StringBuilder sb = new StringBuilder();
        int k = 0;
        for (int i = 0; i < fmt.length(); i++) {
            char c = fmt.charAt(i);
            if (c != '%' || i + 1 >= fmt.length()) {
                sb.append(c);
                continue;
            }
            char d = fmt.charAt(++i);
            if (d == '%') {
                sb.append('%');
                continue;
            }
            if (k >= values.size()) throw new TemplateException("not enough arguments for format string");
            Object v = values.get(k++);
            switch (d) {
                case 's' -> sb.append(Py.str(v));
                case 'r' -> sb.append(Py.repr(v));
                case 'd', 'i' -> sb.append(Py.toLong(v));
                case 'f' -> sb.append(String.format(Locale.ROOT, "%f", Py.toDouble(v)));
                default -> throw new TemplateException("unsupported format character '" + d + "'");
            }
        }
        return sb.toString();
    }
}
