package dev.tessera.tokenizer.jinja;

import dev.tessera.tokenizer.jinja.Lexer.Kind;
import dev.tessera.tokenizer.jinja.Lexer.Token;
import dev.tessera.tokenizer.jinja.Node.*;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** A recursive-descent parser for Jinja2 syntax, with Jinja2's operator precedence. */
final class Parser {
    private final List<Token> tokens;
    private int p;

    private Parser(List<Token> tokens) {
        this.tokens = tokens;
    }

    static List<Stmt> parse(String source) {
        Parser ps = new Parser(Lexer.tokenize(source));
        List<Stmt> body = ps.parseBody(Set.of());
        if (ps.peek().kind() != Kind.EOF) throw ps.error("unexpected '" + ps.peek().text() + "'");
        return body;
    }

    private Token peek() {
        return tokens.get(p);
    }

    private Token peek(int k) {
        return tokens.get(Math.min(p + k, tokens.size() - 1));
    }

    private Token next() {
        return tokens.get(p++);
    }

    private TemplateException error(String msg) {
        return new TemplateException(msg, peek().line());
    }

    private Token expect(Kind k, String text) {
        Token t = next();
        if (t.kind() != k || (text != null && !t.text().equals(text))) {
            throw new TemplateException("expected " + (text != null ? "'" + text + "'" : k) + " but found '"
                    + t.text() + "'", t.line());
        }
        return t;
    }

    private String expectName() {
        return expect(Kind.NAME, null).text();
    }

    /** Parses statements until a block tag whose keyword is in {@code stops} (left unconsumed). */
    private List<Stmt> parseBody(Set<String> stops) {
        List<Stmt> out = new ArrayList<>();
        while (true) {
            Token t = peek();
            switch (t.kind()) {
                case EOF -> {
                    if (!stops.isEmpty()) throw error("missing {% " + String.join(" / ", stops) + " %}");
                    return out;
                }
                case TEXT -> {
                    next();
                    out.add(new Text(t.text()));
                }
                case VAR_BEGIN -> {
                    next();
                    Expr e = parseTuple();
                    expect(Kind.VAR_END, null);
                    out.add(new Output(e, t.line()));
                }
                case BLOCK_BEGIN -> {
                    Token kw = peek(1);
                    if (kw.kind() == Kind.NAME && stops.contains(kw.text())) return out;
                    next();
                    out.add(parseStatement());
                }
                default -> throw error("unexpected '" + t.text() + "'");
            }
        }
    }

    private void endTag() {
        expect(Kind.BLOCK_END, null);
    }

    /** Consumes "{% keyword" of a closing/intermediate tag. */
    private String openTag() {
        expect(Kind.BLOCK_BEGIN, null);
        return expectName();
    }

    private Stmt parseStatement() {
        Token kw = next();
        if (kw.kind() != Kind.NAME) throw new TemplateException("expected a tag name", kw.line());
        switch (kw.text()) {
            case "if" -> {
                List<Expr> conds = new ArrayList<>();
                List<List<Stmt>> bodies = new ArrayList<>();
                conds.add(parseTuple());
                endTag();
                bodies.add(parseBody(Set.of("elif", "else", "endif")));
                List<Stmt> orElse = List.of();
                while (true) {
                    String t = openTag();
                    if (t.equals("elif")) {
                        conds.add(parseTuple());
                        endTag();
                        bodies.add(parseBody(Set.of("elif", "else", "endif")));
                    } else if (t.equals("else")) {
                        endTag();
                        orElse = parseBody(Set.of("endif"));
                    } else {
                        endTag();
                        return new If(conds, bodies, orElse);
                    }
                }
            }
            case "for" -> {
                List<String> targets = new ArrayList<>();
                boolean paren = peek().isOp("(");
                if (paren) next();
                targets.add(expectName());
                while (peek().isOp(",")) {
                    next();
                    if (peek().kind() == Kind.NAME && !peek().text().equals("in")) targets.add(expectName());
                }
                if (paren) expect(Kind.OP, ")");
                expect(Kind.NAME, "in");
                Expr iter = parseTuple(false);
                Expr filter = null;
                if (peek().isName("if")) {
                    next();
                    filter = parseExpression();
                }
                if (peek().isName("recursive")) throw error("recursive for loops are not supported");
                endTag();
                List<Stmt> body = parseBody(Set.of("else", "endfor"));
                List<Stmt> orElse = List.of();
                if (openTag().equals("else")) {
                    endTag();
                    orElse = parseBody(Set.of("endfor"));
                    openTag();
                }
                endTag();
                return new For(targets, iter, filter, body, orElse, kw.line());
            }
            case "set" -> {
                List<String> targets = new ArrayList<>();
                String first = expectName();
                String attr = null;
                if (peek().isOp(".")) {
                    next();
                    attr = expectName();
                }
                targets.add(first);
                while (peek().isOp(",")) {
                    next();
                    targets.add(expectName());
                }
                if (peek().isOp("=")) {
                    next();
                    Expr value = parseTuple();
                    endTag();
                    return new Node.Set(targets, attr, value, kw.line());
                }
                List<FilterCall> filters = new ArrayList<>();
                while (peek().isOp("|")) {
                    next();
                    filters.add(parseFilterCall());
                }
                endTag();
                List<Stmt> body = parseBody(Set.of("endset"));
                openTag();
                endTag();
                return new SetBlock(first, body, filters);
            }
            case "macro" -> {
                String name = expectName();
                List<String> params = new ArrayList<>();
                List<Expr> defaults = new ArrayList<>();
                expect(Kind.OP, "(");
                while (!peek().isOp(")")) {
                    params.add(expectName());
                    if (peek().isOp("=")) {
                        next();
                        defaults.add(parseExpression());
                    } else {
                        defaults.add(null);
                    }
                    if (!peek().isOp(")")) expect(Kind.OP, ",");
                }
                next();
                endTag();
                List<Stmt> body = parseBody(Set.of("endmacro"));
                openTag();
                if (peek().kind() == Kind.NAME) next();
                endTag();
                return new Macro(name, params, defaults, body);
            }
            case "filter" -> {
                List<FilterCall> filters = new ArrayList<>();
                filters.add(parseFilterCall());
                while (peek().isOp("|")) {
                    next();
                    filters.add(parseFilterCall());
                }
                endTag();
                List<Stmt> body = parseBody(Set.of("endfilter"));
                openTag();
                endTag();
                return new FilterBlock(filters, body);
            }
            case "generation" -> {
                endTag();
                List<Stmt> body = parseBody(Set.of("endgeneration"));
                openTag();
                endTag();
                return new Block(body);
            }
            case "break" -> {
                endTag();
                return new Break();
            }
            case "continue" -> {
                endTag();
                return new Continue();
            }
            case "do" -> {
                Expr e = parseTuple();
                endTag();
                return new Do(e);
            }
            default -> throw new TemplateException("unsupported tag '" + kw.text() + "'", kw.line());
        }
    }

    // ---- expressions (Jinja2 precedence: cond < or < and < not < compare < +- < ~ < */ //% < ** < unary < postfix/filter)

    private Expr parseTuple() {
        return parseTuple(true);
    }

    /** An expression, or a bare tuple {@code a, b}. With {@code withCond=false} no {@code x if y else z}. */
    private Expr parseTuple(boolean withCond) {
        Expr first = withCond ? parseExpression() : parseOr();
        if (!peek().isOp(",")) return first;
        List<Expr> items = new ArrayList<>();
        items.add(first);
        while (peek().isOp(",")) {
            next();
            if (atExprEnd()) break;
            items.add(withCond ? parseExpression() : parseOr());
        }
        return new TupleLit(items);
    }

    private boolean atExprEnd() {
        Token t = peek();
        return t.kind() == Kind.VAR_END || t.kind() == Kind.BLOCK_END || t.isOp(")") || t.isOp("]") || t.isOp("}")
                || t.isName("if");
    }

    private Expr parseExpression() {
        Expr e = parseOr();
        while (peek().isName("if")) {
            next();
            Expr test = parseOr();
            Expr orElse = null;
            if (peek().isName("else")) {
                next();
                orElse = parseExpression();
            }
            e = new Cond(test, e, orElse);
        }
        return e;
    }

    private Expr parseOr() {
        Expr e = parseAnd();
        while (peek().isName("or")) {
            next();
            e = new Or(e, parseAnd());
        }
        return e;
    }

    private Expr parseAnd() {
        Expr e = parseNot();
        while (peek().isName("and")) {
            next();
            e = new And(e, parseNot());
        }
        return e;
    }

    private Expr parseNot() {
        if (peek().isName("not")) {
            next();
            return new Not(parseNot());
        }
        return parseCompare();
    }

    private Expr parseCompare() {
        int line = peek().line();
        Expr first = parseMath1();
        List<String> ops = new ArrayList<>();
        List<Expr> rest = new ArrayList<>();
        while (true) {
            Token t = peek();
            String op = null;
            if (t.kind() == Kind.OP && Set.of("==", "!=", "<", ">", "<=", ">=").contains(t.text())) {
                op = t.text();
                next();
            } else if (t.isName("in")) {
                op = "in";
                next();
            } else if (t.isName("not") && peek(1).isName("in")) {
                op = "not in";
                next();
                next();
            }
            if (op == null) break;
            ops.add(op);
            rest.add(parseMath1());
        }
        return ops.isEmpty() ? first : new Compare(first, ops, rest, line);
    }

    private Expr parseMath1() {
        Expr e = parseConcat();
        while (peek().isOp("+") || peek().isOp("-")) {
            Token op = next();
            e = new Binary(op.text(), e, parseConcat(), op.line());
        }
        return e;
    }

    private Expr parseConcat() {
        Expr e = parseMath2();
        while (peek().isOp("~")) {
            Token op = next();
            e = new Binary("~", e, parseMath2(), op.line());
        }
        return e;
    }

    private Expr parseMath2() {
        Expr e = parsePow();
        while (peek().isOp("*") || peek().isOp("/") || peek().isOp("//") || peek().isOp("%")) {
            Token op = next();
            e = new Binary(op.text(), e, parsePow(), op.line());
        }
        return e;
    }

    private Expr parsePow() {
        Expr e = parseUnary(true);
        while (peek().isOp("**")) {
            Token op = next();
            e = new Binary("**", e, parseUnary(true), op.line());
        }
        return e;
    }

    private Expr parseUnary(boolean withFilter) {
        Expr e;
        if (peek().isOp("-") || peek().isOp("+")) {
            String op = next().text();
            e = new Unary(op, parseUnary(false));
        } else {
            e = parsePostfix(parsePrimary());
        }
        return withFilter ? parseFilterExpr(e) : e;
    }

    private Expr parsePrimary() {
        Token t = next();
        switch (t.kind()) {
            case NAME -> {
                return switch (t.text()) {
                    case "true", "True" -> new Literal(Boolean.TRUE);
                    case "false", "False" -> new Literal(Boolean.FALSE);
                    case "none", "None" -> new Literal(null);
                    default -> new Name(t.text(), t.line());
                };
            }
            case STRING -> {
                StringBuilder sb = new StringBuilder(t.text());
                while (peek().kind() == Kind.STRING) sb.append(next().text()); // adjacent literals concatenate
                return new Literal(sb.toString());
            }
            case INT -> {
                return new Literal(Long.parseLong(t.text()));
            }
            case FLOAT -> {
                return new Literal(Double.parseDouble(t.text()));
            }
            case OP -> {
                switch (t.text()) {
                    case "(" -> {
                        if (peek().isOp(")")) {
                            next();
                            return new TupleLit(List.of());
                        }
                        Expr e = parseExpression();
                        if (peek().isOp(",")) {
                            List<Expr> items = new ArrayList<>();
                            items.add(e);
                            while (peek().isOp(",")) {
                                next();
                                if (peek().isOp(")")) break;
                                items.add(parseExpression());
                            }
                            e = new TupleLit(items);
                        }
                        expect(Kind.OP, ")");
                        return e;
                    }
                    case "[" -> {
                        List<Expr> items = new ArrayList<>();
                        while (!peek().isOp("]")) {
                            items.add(parseExpression());
                            if (!peek().isOp("]")) expect(Kind.OP, ",");
                        }
                        next();
                        return new ListLit(items);
                    }
                    case "{" -> {
                        List<Expr> keys = new ArrayList<>(), values = new ArrayList<>();
                        while (!peek().isOp("}")) {
                            keys.add(parseExpression());
                            expect(Kind.OP, ":");
                            values.add(parseExpression());
                            if (!peek().isOp("}")) expect(Kind.OP, ",");
                        }
                        next();
                        return new DictLit(keys, values);
                    }
                    default -> {}
                }
            }
            default -> {}
        }
        throw new TemplateException("unexpected '" + t.text() + "' in expression", t.line());
    }

    private Expr parsePostfix(Expr e) {
        while (true) {
            Token t = peek();
            if (t.isOp(".")) {
                next();
                Token name = next();
                if (name.kind() != Kind.NAME && name.kind() != Kind.INT) {
                    throw new TemplateException("expected an attribute name after '.'", name.line());
                }
                e = name.kind() == Kind.INT ? new Item(e, new Literal(Long.parseLong(name.text()))) : new Attr(e, name.text());
            } else if (t.isOp("[")) {
                next();
                e = parseSubscript(e);
            } else if (t.isOp("(")) {
                next();
                e = parseCall(e, t.line());
            } else {
                return e;
            }
        }
    }

    private Expr parseSubscript(Expr target) {
        Expr start = null, stop = null, step = null;
        boolean slice = false;
        if (!peek().isOp(":")) start = parseExpression();
        if (peek().isOp(":")) {
            slice = true;
            next();
            if (!peek().isOp("]") && !peek().isOp(":")) stop = parseExpression();
            if (peek().isOp(":")) {
                next();
                if (!peek().isOp("]")) step = parseExpression();
            }
        }
        expect(Kind.OP, "]");
        return slice ? new Slice(target, start, stop, step) : new Item(target, start);
    }

    private Call parseCall(Expr fn, int line) {
        List<Expr> args = new ArrayList<>();
        List<String> kwNames = new ArrayList<>();
        List<Expr> kwValues = new ArrayList<>();
        parseArgs(args, kwNames, kwValues);
        return new Call(fn, args, kwNames, kwValues, line);
    }

    /** Arguments after "(" up to and including ")". */
    private void parseArgs(List<Expr> args, List<String> kwNames, List<Expr> kwValues) {
        while (!peek().isOp(")")) {
            if (peek().kind() == Kind.NAME && peek(1).isOp("=")) {
                kwNames.add(next().text());
                next();
                kwValues.add(parseExpression());
            } else {
                args.add(parseExpression());
            }
            if (!peek().isOp(")")) expect(Kind.OP, ",");
        }
        next();
    }

    private FilterCall parseFilterCall() {
        Token name = expect(Kind.NAME, null);
        String n = name.text();
        while (peek().isOp(".")) { // dotted filter names
            next();
            n += "." + expectName();
        }
        List<Expr> args = new ArrayList<>();
        List<String> kwNames = new ArrayList<>();
        List<Expr> kwValues = new ArrayList<>();
        if (peek().isOp("(")) {
            next();
            parseArgs(args, kwNames, kwValues);
        }
        return new FilterCall(n, args, kwNames, kwValues, name.line());
    }

    private Expr parseFilterExpr(Expr e) {
        while (true) {
            if (peek().isOp("|")) {
                next();
                e = new Filter(e, parseFilterCall());
            } else if (peek().isName("is")) {
                Token is = next();
                boolean negated = false;
                if (peek().isName("not")) {
                    next();
                    negated = true;
                }
                String name = expectName();
                List<Expr> args = new ArrayList<>();
                if (peek().isOp("(")) {
                    next();
                    List<String> kn = new ArrayList<>();
                    List<Expr> kv = new ArrayList<>();
                    parseArgs(args, kn, kv);
                    args.addAll(kv);
                } else if (peek().isName("is")) {
                    throw error("You cannot chain multiple tests with is");
                } else if (startsPrimaryArg(peek())) {
                    // Jinja2: "x is sameas false", "x is divisibleby 3" take one argument without parentheses
                    args.add(parsePostfix(parsePrimary()));
                }
                e = new Test(e, name, args, negated, is.line());
            } else {
                return e;
            }
        }
    }

    private static boolean startsPrimaryArg(Token t) {
        return switch (t.kind()) {
            case STRING, INT, FLOAT -> true;
            case NAME -> !Set.of("else", "or", "and", "if", "is", "in", "not").contains(t.text());
            case OP -> t.text().equals("[") || t.text().equals("{") || t.text().equals("(");
            default -> false;
        };
    }
}
