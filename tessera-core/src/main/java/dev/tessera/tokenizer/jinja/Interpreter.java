package dev.tessera.tokenizer.jinja;

import dev.tessera.tokenizer.jinja.Node.*;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Executes a parsed template with Jinja2 scoping: for-loop bodies and macros get their own scope, if does not. */
final class Interpreter {
    private enum Flow { NORMAL, BREAK, CONTINUE }

    static final class Scope {
        final Map<String, Object> vars = new HashMap<>();
        final Scope parent;

        Scope(Scope parent) {
            this.parent = parent;
        }

        Object lookup(String name) {
            for (Scope s = this; s != null; s = s.parent) {
                Object v = s.vars.get(name);
                if (v != null || s.vars.containsKey(name)) return v;
            }
            return Py.UNDEFINED;
        }
    }

    private final Scope globals;
    private int depth;

    Interpreter(Map<String, Object> context) {
        Scope builtins = new Scope(null);
        Builtins.installGlobals(builtins.vars);
        globals = new Scope(builtins);
        for (Map.Entry<String, Object> e : context.entrySet()) globals.vars.put(e.getKey(), Py.fromJava(e.getValue()));
    }

    String render(List<Stmt> body) {
        StringBuilder out = new StringBuilder();
        exec(body, globals, out);
        return out.toString();
    }

    private Flow exec(List<Stmt> body, Scope scope, StringBuilder out) {
        for (Stmt s : body) {
            Flow f = exec(s, scope, out);
            if (f != Flow.NORMAL) return f;
        }
        return Flow.NORMAL;
    }

    private Flow exec(Stmt stmt, Scope scope, StringBuilder out) {
        switch (stmt) {
            case Text t -> out.append(t.text());
            case Output o -> out.append(Py.str(eval(o.expr(), scope)));
            case If i -> {
                for (int k = 0; k < i.conditions().size(); k++) {
                    if (Py.truthy(eval(i.conditions().get(k), scope))) return exec(i.bodies().get(k), scope, out);
                }
                return exec(i.orElse(), scope, out);
            }
            case For f -> {
                return execFor(f, scope, out);
            }
            case Set s -> {
                Object v = eval(s.value(), scope);
                if (s.attr() != null) {
                    Object target = scope.lookup(s.targets().get(0));
                    if (!(target instanceof Py.Namespace ns)) {
                        throw new TemplateException("cannot assign attribute on non-namespace object", s.line());
                    }
                    ns.attrs.put(s.attr(), v);
                } else {
                    assign(s.targets(), v, scope, s.line());
                }
            }
            case SetBlock sb -> {
                StringBuilder inner = new StringBuilder();
                exec(sb.body(), scope, inner);
                Object v = inner.toString();
                for (FilterCall fc : sb.filters()) v = applyFilter(fc, v, scope);
                scope.vars.put(sb.target(), v);
            }
            case Macro m -> scope.vars.put(m.name(), macro(m));
            case FilterBlock fb -> {
                StringBuilder inner = new StringBuilder();
                exec(fb.body(), scope, inner);
                Object v = inner.toString();
                for (FilterCall fc : fb.filters()) v = applyFilter(fc, v, scope);
                out.append(Py.str(v));
            }
            case Block b -> {
                return exec(b.body(), scope, out);
            }
            case Break b -> {
                return Flow.BREAK;
            }
            case Continue c -> {
                return Flow.CONTINUE;
            }
            case Do d -> eval(d.expr(), scope);
        }
        return Flow.NORMAL;
    }

    private void assign(List<String> targets, Object v, Scope scope, int line) {
        if (targets.size() == 1) {
            scope.vars.put(targets.get(0), v);
            return;
        }
        List<Object> items = Py.iterate(v);
        if (items.size() != targets.size()) {
            throw new TemplateException("cannot unpack " + items.size() + " values into " + targets.size(), line);
        }
        for (int i = 0; i < targets.size(); i++) scope.vars.put(targets.get(i), items.get(i));
    }

    private Flow execFor(For f, Scope scope, StringBuilder out) {
        Object iterable = eval(f.iter(), scope);
        if (iterable == null) throw new TemplateException("'NoneType' object is not iterable", f.line());
        List<Object> items = Py.iterate(iterable);
        if (f.filter() != null) {
            List<Object> kept = new ArrayList<>();
            for (Object item : items) {
                Scope s = new Scope(scope);
                assign(f.targets(), item, s, f.line());
                if (Py.truthy(eval(f.filter(), s))) kept.add(item);
            }
            items = kept;
        }
        if (items.isEmpty()) return exec(f.orElse(), scope, out);
        int n = items.size();
        for (int i = 0; i < n; i++) {
            Scope s = new Scope(scope);
            assign(f.targets(), items.get(i), s, f.line());
            s.vars.put("loop", loop(items, i));
            Flow fl = exec(f.body(), s, out);
            if (fl == Flow.BREAK) break;
        }
        return Flow.NORMAL;
    }

    private static Map<String, Object> loop(List<Object> items, int i) {
        int n = items.size();
        Map<String, Object> loop = new LinkedHashMap<>();
        loop.put("index", (long) i + 1);
        loop.put("index0", (long) i);
        loop.put("revindex", (long) (n - i));
        loop.put("revindex0", (long) (n - i - 1));
        loop.put("first", i == 0);
        loop.put("last", i == n - 1);
        loop.put("length", (long) n);
        loop.put("depth", 1L);
        loop.put("depth0", 0L);
        loop.put("previtem", i > 0 ? items.get(i - 1) : Py.UNDEFINED);
        loop.put("nextitem", i + 1 < n ? items.get(i + 1) : Py.UNDEFINED);
        loop.put("cycle", (Py.Callable) (args, kw) -> args.isEmpty() ? Py.UNDEFINED : args.get(i % args.size()));
        return loop;
    }

    private Py.Callable macro(Macro m) {
        return (args, kwargs) -> {
            if (++depth > 200) throw new TemplateException("macro recursion too deep");
            try {
                Scope s = new Scope(globals);
                for (int i = 0; i < m.params().size(); i++) {
                    String p = m.params().get(i);
                    Object v;
                    if (i < args.size()) v = args.get(i);
                    else if (kwargs.containsKey(p)) v = kwargs.get(p);
                    else if (m.defaults().get(i) != null) v = eval(m.defaults().get(i), s);
                    else v = Py.UNDEFINED;
                    s.vars.put(p, v);
                }
                s.vars.put("varargs", args.size() > m.params().size()
                        ? new ArrayList<>(args.subList(m.params().size(), args.size())) : new ArrayList<>());
                StringBuilder out = new StringBuilder();
                exec(m.body(), s, out);
                return out.toString();
            } finally {
                depth--;
            }
        };
    }

    // ---- expressions

    Object eval(Expr e, Scope scope) {
        switch (e) {
            case Literal l -> {
                return l.value();
            }
            case Name n -> {
                return scope.lookup(n.name());
            }
            case ListLit l -> {
                List<Object> out = new ArrayList<>(l.items().size());
                for (Expr x : l.items()) out.add(eval(x, scope));
                return out;
            }
            case TupleLit t -> {
                List<Object> out = new ArrayList<>(t.items().size());
                for (Expr x : t.items()) out.add(eval(x, scope));
                return new Py.Tuple(out);
            }
            case DictLit d -> {
                Map<String, Object> out = new LinkedHashMap<>();
                for (int i = 0; i < d.keys().size(); i++) {
                    out.put(Py.str(eval(d.keys().get(i), scope)), eval(d.values().get(i), scope));
                }
                return out;
            }
            case Attr a -> {
                return Builtins.getAttr(eval(a.target(), scope), a.name());
            }
            case Item it -> {
                return Builtins.getItem(eval(it.target(), scope), eval(it.key(), scope));
            }
            case Slice s -> {
                return Builtins.slice(eval(s.target(), scope), evalOrNull(s.start(), scope), evalOrNull(s.stop(), scope),
                        evalOrNull(s.step(), scope));
            }
            case Call c -> {
                Object fn = eval(c.fn(), scope);
                if (!(fn instanceof Py.Callable callable)) {
                    String what = c.fn() instanceof Name n ? "'" + n.name() + "'" : "'" + Py.typeName(fn) + "' object";
                    throw new TemplateException(what + " is not callable", c.line());
                }
                List<Object> args = new ArrayList<>(c.args().size());
                for (Expr x : c.args()) args.add(eval(x, scope));
                Map<String, Object> kwargs = new LinkedHashMap<>();
                for (int i = 0; i < c.kwNames().size(); i++) kwargs.put(c.kwNames().get(i), eval(c.kwValues().get(i), scope));
                return callable.call(args, kwargs);
            }
            case Filter f -> {
                return applyFilter(f.filter(), eval(f.value(), scope), scope);
            }
            case Test t -> {
                Object v = eval(t.value(), scope);
                List<Object> args = new ArrayList<>();
                for (Expr x : t.args()) args.add(eval(x, scope));
                boolean r = Builtins.test(t.name(), v, args, t.line());
                return t.negated() != r;
            }
            case Unary u -> {
                Object v = eval(u.operand(), scope);
                if (!Py.isNumber(v)) throw new TemplateException("bad operand type for unary " + u.op() + ": " + Py.typeName(v));
                if (u.op().equals("+")) return v;
                return v instanceof Double d ? (Object) (-d) : (Object) (-Py.toLong(v));
            }
            case Binary b -> {
                return Builtins.binary(b.op(), eval(b.left(), scope), eval(b.right(), scope), b.line());
            }
            case Compare c -> {
                Object left = eval(c.first(), scope);
                for (int i = 0; i < c.ops().size(); i++) {
                    Object right = eval(c.rest().get(i), scope);
                    if (!Builtins.compare(c.ops().get(i), left, right, c.line())) return false;
                    left = right;
                }
                return true;
            }
            case And a -> {
                Object l = eval(a.left(), scope);
                return Py.truthy(l) ? eval(a.right(), scope) : l;
            }
            case Or o -> {
                Object l = eval(o.left(), scope);
                return Py.truthy(l) ? l : eval(o.right(), scope);
            }
            case Not n -> {
                return !Py.truthy(eval(n.operand(), scope));
            }
            case Cond c -> {
                if (Py.truthy(eval(c.test(), scope))) return eval(c.then(), scope);
                return c.orElse() == null ? Py.UNDEFINED : eval(c.orElse(), scope);
            }
        }
    }

    private Object evalOrNull(Expr e, Scope scope) {
        return e == null ? null : eval(e, scope);
    }

    private Object applyFilter(FilterCall fc, Object value, Scope scope) {
        List<Object> args = new ArrayList<>();
        for (Expr x : fc.args()) args.add(eval(x, scope));
        Map<String, Object> kwargs = new LinkedHashMap<>();
        for (int i = 0; i < fc.kwNames().size(); i++) kwargs.put(fc.kwNames().get(i), eval(fc.kwValues().get(i), scope));
        return Builtins.filter(fc.name(), value, args, kwargs, fc.line());
    }
}
