package dev.tessera.tokenizer.jinja;

import java.time.LocalDateTime;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Jinja2 filters, tests and globals, Python operators, and the Python str/dict/list methods templates call. */
final class Builtins {
    private static final java.util.regex.Pattern WORD =
            java.util.regex.Pattern.compile("\\w+", java.util.regex.Pattern.UNICODE_CHARACTER_CLASS);

    private Builtins() {}

    static void installGlobals(Map<String, Object> g) {
        g.put("range", (Py.Callable) (a, kw) -> {
            long start = 0, stop, step = 1;
            if (a.size() == 1) {
                stop = Py.toLong(a.get(0));
            } else {
                start = Py.toLong(a.get(0));
                stop = Py.toLong(a.get(1));
                if (a.size() > 2) step = Py.toLong(a.get(2));
            }
            if (step == 0) throw new TemplateException("range() arg 3 must not be zero");
            List<Object> out = new ArrayList<>();
            for (long i = start; step > 0 ? i < stop : i > stop; i += step) {
                out.add(i);
                if (out.size() > 1_000_000) throw new TemplateException("range too big");
            }
            return out;
        });
        g.put("namespace", (Py.Callable) (a, kw) -> {
            Py.Namespace ns = new Py.Namespace();
            for (Object o : a) {
                if (o instanceof Map<?, ?> m) for (var e : m.entrySet()) ns.attrs.put(String.valueOf(e.getKey()), e.getValue());
            }
            ns.attrs.putAll(kw);
            return ns;
        });
        g.put("dict", (Py.Callable) (a, kw) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            for (Object o : a) {
                if (o instanceof Map<?, ?> mm) for (var e : mm.entrySet()) m.put(String.valueOf(e.getKey()), e.getValue());
            }
            m.putAll(kw);
            return m;
        });
        g.put("raise_exception", (Py.Callable) (a, kw) -> {
            throw new TemplateException.Raised(a.isEmpty() ? "raise_exception called" : Py.str(a.get(0)));
        });
        g.put("strftime_now", (Py.Callable) (a, kw) -> strftime(Py.str(a.isEmpty() ? "" : a.get(0)), LocalDateTime.now()));
    }

    // ---- attribute and item access (Jinja's environment.getattr / getitem)

    static Object getAttr(Object obj, String name) {
        if (obj instanceof Map<?, ?> m) {
            Object method = dictMethod(m, name);
            if (method != null) return method;
            Object v = m.get(name);
            return v != null || m.containsKey(name) ? v : Py.UNDEFINED;
        }
        if (obj instanceof Py.Namespace ns) {
            return ns.attrs.containsKey(name) ? ns.attrs.get(name) : Py.UNDEFINED;
        }
        if (obj instanceof String s) {
            Object method = Methods.string(s, name);
            return method != null ? method : Py.UNDEFINED;
        }
        if (obj instanceof List<?> l) {
            Object method = Methods.list(l, name);
            return method != null ? method : Py.UNDEFINED;
        }
        return Py.UNDEFINED;
    }

    private static Object dictMethod(Map<?, ?> m, String name) {
        return switch (name) {
            case "get" -> (Py.Callable) (a, kw) -> {
                Object k = a.isEmpty() ? null : a.get(0);
                Object def = a.size() > 1 ? a.get(1) : null;
                return m.containsKey(k) ? m.get(k) : def;
            };
            case "items" -> (Py.Callable) (a, kw) -> items(m);
            case "keys" -> (Py.Callable) (a, kw) -> new ArrayList<Object>(m.keySet());
            case "values" -> (Py.Callable) (a, kw) -> new ArrayList<Object>(m.values());
            case "update", "pop", "setdefault", "clear", "popitem" -> (Py.Callable) (a, kw) -> {
                throw new TemplateException("access to dict." + name + " is unsafe (the template sandbox is immutable)");
            };
            default -> null;
        };
    }

    /** {@code dict.items()}: (key, value) tuples in insertion order. */
    static List<Object> items(Map<?, ?> m) {
        List<Object> out = new ArrayList<>(m.size());
        for (var e : m.entrySet()) {
            List<Object> pair = new ArrayList<>(2);
            pair.add(e.getKey());
            pair.add(e.getValue());
            out.add(new Py.Tuple(pair));
        }
        return out;
    }

    static Object getItem(Object obj, Object key) {
        if (obj instanceof Map<?, ?> m) {
            // template dicts have string keys (JSON objects; dict literals convert theirs)
            Object k = key instanceof String ? key : Py.str(key);
            if (m.containsKey(k)) return m.get(k);
            // like Jinja, fall back to the attribute: d['get'] is the get method
            Object method = key instanceof String s ? dictMethod(m, s) : null;
            return method != null ? method : Py.UNDEFINED;
        }
        if (obj instanceof Py.Namespace ns && key instanceof String s) return getAttr(ns, s);
        if ((obj instanceof List<?> || obj instanceof String) && Py.isNumber(key) && !(key instanceof Double)) {
            int n = Py.length(obj);
            long i = Py.toLong(key);
            if (i < 0) i += n;
            if (i < 0 || i >= n) return Py.UNDEFINED;
            if (obj instanceof List<?> l) return l.get((int) i);
            String s = (String) obj;
            int off = s.offsetByCodePoints(0, (int) i);
            return new String(Character.toChars(s.codePointAt(off)));
        }
        if (key instanceof String s) return getAttr(obj, s);
        return Py.UNDEFINED;
    }

    /** Python slicing {@code obj[start:stop:step]} for lists and strings. */
    static Object slice(Object obj, Object start, Object stop, Object step) {
        List<Object> items;
        boolean isString = obj instanceof String;
        if (isString || obj instanceof List<?>) items = Py.iterate(obj);
        else if (obj == Py.UNDEFINED) return Py.UNDEFINED;
        else throw new TemplateException("'" + Py.typeName(obj) + "' object is not subscriptable");
        int n = items.size();
        long st = step == null ? 1 : Py.toLong(step);
        if (st == 0) throw new TemplateException("slice step cannot be zero");
        long a, b;
        if (st > 0) {
            a = start == null ? 0 : clampIndex(Py.toLong(start), n, 0, n);
            b = stop == null ? n : clampIndex(Py.toLong(stop), n, 0, n);
        } else {
            a = start == null ? n - 1 : clampIndex(Py.toLong(start), n, -1, n - 1);
            b = stop == null ? -1 : clampIndex(Py.toLong(stop), n, -1, n - 1);
        }
        List<Object> out = new ArrayList<>();
        for (long i = a; st > 0 ? i < b : i > b; i += st) out.add(items.get((int) i));
        if (isString) {
            StringBuilder sb = new StringBuilder();
            for (Object o : out) sb.append((String) o);
            return sb.toString();
        }
        return obj instanceof Py.Tuple ? new Py.Tuple(out) : out;
    }

    private static long clampIndex(long i, int n, long lo, long hi) {
        if (i < 0) i += n;
        return Math.max(lo, Math.min(hi, i));
    }

    // ---- operators

    static Object binary(String op, Object a, Object b, int line) {
        if (op.equals("~")) return Py.str(a) + Py.str(b);
        if (a == Py.UNDEFINED || b == Py.UNDEFINED) {
            throw new TemplateException("undefined value used with '" + op + "'", line);
        }
        switch (op) {
            case "+" -> {
                if (a instanceof String sa && b instanceof String sb) return sa + sb;
                if (a instanceof List<?> la && b instanceof List<?> lb) {
                    List<Object> out = new ArrayList<>(la);
                    out.addAll(lb);
                    return a instanceof Py.Tuple ? new Py.Tuple(out) : out;
                }
                if (Py.isNumber(a) && Py.isNumber(b)) {
                    return isFloat(a, b) ? (Object) (Py.toDouble(a) + Py.toDouble(b)) : (Object) (Py.toLong(a) + Py.toLong(b));
                }
            }
            case "-" -> {
                if (Py.isNumber(a) && Py.isNumber(b)) {
                    return isFloat(a, b) ? (Object) (Py.toDouble(a) - Py.toDouble(b)) : (Object) (Py.toLong(a) - Py.toLong(b));
                }
            }
            case "*" -> {
                if (Py.isNumber(a) && Py.isNumber(b)) {
                    return isFloat(a, b) ? (Object) (Py.toDouble(a) * Py.toDouble(b)) : (Object) (Py.toLong(a) * Py.toLong(b));
                }
                // sequence repetition; bool counts as an int, as in Python
                Object seq = isIntLike(b) ? a : isIntLike(a) ? b : null;
                Object times = seq == a ? b : a;
                if (seq instanceof String s) return s.repeat((int) Math.max(0, Py.toLong(times)));
                if (seq instanceof List<?> l) {
                    List<Object> out = new ArrayList<>();
                    for (long i = 0; i < Py.toLong(times); i++) out.addAll(l);
                    return seq instanceof Py.Tuple ? new Py.Tuple(out) : out;
                }
            }
            case "/" -> {
                if (Py.isNumber(a) && Py.isNumber(b)) {
                    if (Py.toDouble(b) == 0) throw new TemplateException("division by zero", line);
                    return Py.toDouble(a) / Py.toDouble(b);
                }
            }
            case "//" -> {
                if (Py.isNumber(a) && Py.isNumber(b)) {
                    if (Py.toDouble(b) == 0) throw new TemplateException("integer division or modulo by zero", line);
                    return isFloat(a, b) ? (Object) Math.floor(Py.toDouble(a) / Py.toDouble(b))
                            : (Object) Math.floorDiv(Py.toLong(a), Py.toLong(b));
                }
            }
            case "%" -> {
                if (a instanceof String fmt) return Methods.percentFormat(fmt, b);
                if (Py.isNumber(a) && Py.isNumber(b)) {
                    if (Py.toDouble(b) == 0) throw new TemplateException("integer division or modulo by zero", line);
                    if (isFloat(a, b)) {
                        double x = Py.toDouble(a), y = Py.toDouble(b);
                        return x - Math.floor(x / y) * y;
                    }
                    return Math.floorMod(Py.toLong(a), Py.toLong(b));
                }
            }
            case "**" -> {
                if (Py.isNumber(a) && Py.isNumber(b)) {
                    if (!isFloat(a, b) && Py.toLong(b) >= 0) return (long) Math.pow(Py.toLong(a), Py.toLong(b));
                    return Math.pow(Py.toDouble(a), Py.toDouble(b));
                }
            }
            default -> {}
        }
        throw new TemplateException("unsupported operand type(s) for " + op + ": '" + Py.typeName(a) + "' and '"
                + Py.typeName(b) + "'", line);
    }

    private static boolean isIntLike(Object v) {
        return v instanceof Long || v instanceof Boolean || v instanceof java.math.BigInteger;
    }

    /** Python {@code a % b == 0} for ints and floats. */
    private static boolean divisible(Object a, Object b) {
        if (isFloat(a, b)) return Py.toDouble(a) % Py.toDouble(b) == 0;
        return Py.toLong(a) % Py.toLong(b) == 0;
    }

    /** Python {@code str.islower()/isupper()}: at least one cased char, and no cased char of the other case. */
    private static boolean isCase(String s, boolean upper) {
        boolean cased = false;
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            i += Character.charCount(c);
            if (Character.isUpperCase(c) || Character.isTitleCase(c)) {
                if (!upper) return false;
                cased = true;
            } else if (Character.isLowerCase(c)) {
                if (upper) return false;
                cased = true;
            }
        }
        return cased;
    }

    private static boolean isFloat(Object a, Object b) {
        return a instanceof Double || b instanceof Double;
    }

    static boolean compare(String op, Object a, Object b, int line) {
        return switch (op) {
            case "==" -> Py.eq(a, b);
            case "!=" -> !Py.eq(a, b);
            case "<" -> Py.compare(a, b) < 0;
            case ">" -> Py.compare(a, b) > 0;
            case "<=" -> Py.compare(a, b) <= 0;
            case ">=" -> Py.compare(a, b) >= 0;
            case "in" -> Py.contains(b, a);
            case "not in" -> !Py.contains(b, a);
            default -> throw new TemplateException("unknown operator " + op, line);
        };
    }

    // ---- tests

    static boolean test(String name, Object v, List<Object> args, int line) {
        Object arg = args.isEmpty() ? null : args.get(0);
        return switch (name) {
            case "defined" -> v != Py.UNDEFINED;
            case "undefined" -> v == Py.UNDEFINED;
            case "none" -> v == null;
            case "boolean" -> v instanceof Boolean;
            case "true" -> Boolean.TRUE.equals(v);
            case "false" -> Boolean.FALSE.equals(v);
            case "string" -> v instanceof String;
            case "number" -> Py.isNumber(v) && !(v instanceof Boolean);
            case "integer" -> v instanceof Long || v instanceof java.math.BigInteger;
            case "float" -> v instanceof Double;
            case "mapping" -> v instanceof Map;
            case "sequence" -> v instanceof List || v instanceof String || v instanceof Map || v == Py.UNDEFINED;
            case "iterable" -> v instanceof List || v instanceof String || v instanceof Map || v == Py.UNDEFINED
                    || v instanceof Collection;
            case "callable" -> v instanceof Py.Callable;
            case "sameas" -> v == arg || (v != null && arg != null && v instanceof Boolean && v.equals(arg));
            case "eq", "equalto", "==" -> Py.eq(v, arg);
            case "ne", "!=" -> !Py.eq(v, arg);
            case "lt", "lessthan", "<" -> Py.compare(v, arg) < 0;
            case "le", "<=" -> Py.compare(v, arg) <= 0;
            case "gt", "greaterthan", ">" -> Py.compare(v, arg) > 0;
            case "ge", ">=" -> Py.compare(v, arg) >= 0;
            case "in" -> Py.contains(arg, v);
            case "divisibleby" -> divisible(v, arg);
            case "even" -> divisible(v, 2L);
            case "odd" -> isFloat(v, 2L) ? Math.abs(Py.toDouble(v) % 2) == 1 : Math.floorMod(Py.toLong(v), 2) == 1;
            case "lower" -> isCase(Py.str(v), false);
            case "upper" -> isCase(Py.str(v), true);
            case "escaped" -> false;
            default -> throw new TemplateException("no test named '" + name + "'", line);
        };
    }

    // ---- filters

    static Object filter(String name, Object v, List<Object> a, Map<String, Object> kw, int line) {
        Object a0 = a.isEmpty() ? null : a.get(0);
        switch (name) {
            case "safe", "forceescape" -> {
                return v;
            }
            case "string" -> {
                return Py.str(v);
            }
            case "tojson" -> {
                Object indent = kw.getOrDefault("indent", a0);
                Object seps = kw.get("separators");
                String itemSep = null, keySep = null;
                if (seps instanceof List<?> l && l.size() == 2) {
                    itemSep = Py.str(l.get(0));
                    keySep = Py.str(l.get(1));
                }
                boolean sort = Py.truthy(kw.getOrDefault("sort_keys", false));
                return PyJson.dumps(v, indent == null ? null : (int) Py.toLong(indent), itemSep, keySep, sort);
            }
            case "trim" -> {
                return Methods.strip(Py.str(v), a0 == null ? null : Py.str(a0), true, true);
            }
            case "length", "count" -> {
                return (long) Py.length(v);
            }
            case "items" -> {
                if (v == Py.UNDEFINED) return new ArrayList<>();
                if (!(v instanceof Map<?, ?> m)) throw new TemplateException("items filter needs a mapping, got " + Py.typeName(v), line);
                return items(m);
            }
            case "list" -> {
                return Py.iterate(v);
            }
            case "first" -> {
                List<Object> l = Py.iterate(v);
                return l.isEmpty() ? Py.UNDEFINED : l.get(0);
            }
            case "last" -> {
                List<Object> l = Py.iterate(v);
                return l.isEmpty() ? Py.UNDEFINED : l.get(l.size() - 1);
            }
            case "join" -> {
                String sep = a0 == null ? Py.str(kw.getOrDefault("d", "")) : Py.str(a0);
                Object attr = kw.getOrDefault("attribute", a.size() > 1 ? a.get(1) : null);
                StringBuilder sb = new StringBuilder();
                boolean first = true;
                for (Object o : Py.iterate(v)) {
                    if (!first) sb.append(sep);
                    first = false;
                    sb.append(Py.str(attr == null ? o : getItem(o, attr)));
                }
                return sb.toString();
            }
            case "default", "d" -> {
                // default(none) must give None: tell "no argument" from "argument None"
                Object def = !a.isEmpty() ? a0 : kw.getOrDefault("default_value", "");
                boolean bool = Py.truthy(a.size() > 1 ? a.get(1) : kw.getOrDefault("boolean", false));
                return v == Py.UNDEFINED || (bool && !Py.truthy(v)) ? def : v;
            }
            case "upper" -> {
                return Py.str(v).toUpperCase(Locale.ROOT);
            }
            case "lower" -> {
                return Py.str(v).toLowerCase(Locale.ROOT);
            }
            case "capitalize" -> {
                return Methods.capitalize(Py.str(v));
            }
            case "title" -> {
                return Methods.title(Py.str(v));
            }
            case "replace" -> {
                long count = a.size() > 2 ? Py.toLong(a.get(2)) : -1;
                return Methods.replace(Py.str(v), Py.str(a0), Py.str(a.get(1)), count);
            }
            case "reverse" -> {
                if (v instanceof String s) return new StringBuilder(s).reverse().toString();
                List<Object> l = Py.iterate(v);
                java.util.Collections.reverse(l);
                return l;
            }
            case "unique" -> {
                List<Object> out = new ArrayList<>();
                for (Object o : Py.iterate(v)) {
                    boolean seen = false;
                    for (Object x : out) seen |= Py.eq(x, o);
                    if (!seen) out.add(o);
                }
                return out;
            }
            case "sort" -> {
                List<Object> l = Py.iterate(v);
                boolean reverse = Py.truthy(kw.getOrDefault("reverse", a0 == null ? false : a0));
                Object attr = kw.get("attribute");
                l.sort((x, y) -> Py.compare(attr == null ? x : getItem(x, attr), attr == null ? y : getItem(y, attr)));
                if (reverse) java.util.Collections.reverse(l);
                return l;
            }
            case "dictsort" -> {
                if (!(v instanceof Map<?, ?> m)) throw new TemplateException("dictsort needs a mapping", line);
                List<Object> l = items(m);
                boolean byValue = "value".equals(kw.getOrDefault("by", a.size() > 1 ? a.get(1) : "key"));
                l.sort((x, y) -> Py.compare(((List<?>) x).get(byValue ? 1 : 0), ((List<?>) y).get(byValue ? 1 : 0)));
                if (Py.truthy(kw.getOrDefault("reverse", false))) java.util.Collections.reverse(l);
                return l;
            }
            case "min", "max" -> {
                List<Object> l = Py.iterate(v);
                if (l.isEmpty()) return Py.UNDEFINED;
                Object best = l.get(0);
                for (Object o : l) {
                    int c = Py.compare(o, best);
                    if (name.equals("min") ? c < 0 : c > 0) best = o;
                }
                return best;
            }
            case "sum" -> {
                Object attr = kw.getOrDefault("attribute", a0);
                Object total = kw.getOrDefault("start", 0L);
                for (Object o : Py.iterate(v)) total = binary("+", total, attr == null ? o : getItem(o, attr), line);
                return total;
            }
            case "abs" -> {
                return v instanceof Double d ? (Object) Math.abs(d) : (Object) Math.abs(Py.toLong(v));
            }
            case "int" -> {
                try {
                    if (v instanceof String s) return (long) Double.parseDouble(s.strip());
                    return Py.toLong(v);
                } catch (RuntimeException e) {
                    return a0 == null ? 0L : a0;
                }
            }
            case "float" -> {
                try {
                    if (v instanceof String s) return Double.parseDouble(s.strip());
                    return Py.toDouble(v);
                } catch (RuntimeException e) {
                    return a0 == null ? 0.0 : a0;
                }
            }
            case "round" -> {
                int precision = a0 == null ? 0 : (int) Py.toLong(a0);
                String method = Py.str(a.size() > 1 ? a.get(1) : kw.getOrDefault("method", "common"));
                if (isIntLike(v) && precision >= 0) return Py.toLong(v); // round(int, n) stays an int
                double x = Py.toDouble(v), f = Math.pow(10, precision);
                double r = switch (method) {
                    case "ceil" -> Math.ceil(x * f) / f;
                    case "floor" -> Math.floor(x * f) / f;
                    default -> Math.signum(x) * Math.floor(Math.abs(x) * f + 0.5) / f;
                };
                return r;
            }
            case "indent" -> {
                Object w = kw.getOrDefault("width", a0 == null ? 4L : a0);
                String pad = w instanceof String s ? s : " ".repeat((int) Py.toLong(w));
                boolean first = Py.truthy(kw.getOrDefault("first", a.size() > 1 ? a.get(1) : false));
                boolean blank = Py.truthy(kw.getOrDefault("blank", a.size() > 2 ? a.get(2) : false));
                String[] lines = Py.str(v).split("\n", -1);
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < lines.length; i++) {
                    if (i > 0) sb.append('\n');
                    boolean doIndent = (i > 0 || first) && (blank || !lines[i].isBlank());
                    if (doIndent) sb.append(pad);
                    sb.append(lines[i]);
                }
                return sb.toString();
            }
            case "wordcount" -> {
                return WORD.matcher(Py.str(v)).results().count(); // Jinja counts \w+ runs
            }
            case "escape", "e" -> {
                return Py.str(v).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                        .replace("\"", "&#34;").replace("'", "&#39;");
            }
            case "attr" -> {
                return getAttr(v, Py.str(a0));
            }
            case "format" -> {
                return Methods.percentFormat(Py.str(v), a.size() == 1 ? a0 : new Py.Tuple(new ArrayList<>(a)));
            }
            case "map" -> {
                List<Object> out = new ArrayList<>();
                Object attr = kw.get("attribute");
                for (Object o : Py.iterate(v)) {
                    if (attr != null) {
                        Object r = getItem(o, attr);
                        out.add(r == Py.UNDEFINED && kw.containsKey("default") ? kw.get("default") : r);
                    } else {
                        out.add(filter(Py.str(a0), o, a.subList(1, a.size()), Map.of(), line));
                    }
                }
                return out;
            }
            case "select", "reject" -> {
                List<Object> out = new ArrayList<>();
                for (Object o : Py.iterate(v)) {
                    boolean r = a0 == null ? Py.truthy(o) : test(Py.str(a0), o, a.subList(1, a.size()), line);
                    if (r == name.equals("select")) out.add(o);
                }
                return out;
            }
            case "selectattr", "rejectattr" -> {
                List<Object> out = new ArrayList<>();
                for (Object o : Py.iterate(v)) {
                    Object x = getItem(o, a0);
                    boolean r = a.size() < 2 ? Py.truthy(x) : test(Py.str(a.get(1)), x, a.subList(2, a.size()), line);
                    if (r == name.equals("selectattr")) out.add(o);
                }
                return out;
            }
            case "batch", "slice", "groupby", "truncate", "wordwrap", "center", "urlencode", "striptags", "pprint",
                    "filesizeformat", "xmlattr", "urlize" -> throw new TemplateException("filter '" + name
                    + "' is not supported by Tessera's template engine", line);
            default -> throw new TemplateException("no filter named '" + name + "'", line);
        }
    }

    /** Python {@code strftime} for the directives chat templates use with {@code strftime_now}. */
    static String strftime(String fmt, LocalDateTime t) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < fmt.length(); i++) {
            char c = fmt.charAt(i);
            if (c != '%' || i + 1 >= fmt.length()) {
                sb.append(c);
                continue;
            }
            char d = fmt.charAt(++i);
            switch (d) {
                case 'Y' -> sb.append(t.getYear());
                case 'm' -> sb.append(String.format("%02d", t.getMonthValue()));
                case 'd' -> sb.append(String.format("%02d", t.getDayOfMonth()));
                case '-' -> {
                    if (i + 1 < fmt.length()) {
                        char e = fmt.charAt(++i);
                        sb.append(switch (e) {
                            case 'd' -> String.valueOf(t.getDayOfMonth());
                            case 'm' -> String.valueOf(t.getMonthValue());
                            default -> "%-" + e;
                        });
                    }
                }
                case 'B' -> sb.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'b' -> sb.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'A' -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'a' -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'H' -> sb.append(String.format("%02d", t.getHour()));
                case 'I' -> sb.append(String.format("%02d", (t.getHour() + 11) % 12 + 1));
                case 'M' -> sb.append(String.format("%02d", t.getMinute()));
                case 'S' -> sb.append(String.format("%02d", t.getSecond()));
                case 'p' -> sb.append(t.getHour() < 12 ? "AM" : "PM");
                case 'j' -> sb.append(String.format("%03d", t.getDayOfYear()));
                case 'y' -> sb.append(String.format("%02d", t.getYear() % 100));
                case '%' -> sb.append('%');
                default -> sb.append('%').append(d);
            }
        }
        return sb.toString();
    }
}
