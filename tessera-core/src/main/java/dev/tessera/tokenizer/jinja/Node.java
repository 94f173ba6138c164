package dev.tessera.tokenizer.jinja;

import java.util.List;

/** The syntax tree of a template: statements ({@link Stmt}) and expressions ({@link Expr}). */
final class Node {
    private Node() {}

    sealed interface Stmt {}

    record Text(String text) implements Stmt {}

    record Output(Expr expr, int line) implements Stmt {}

    record If(List<Expr> conditions, List<List<Stmt>> bodies, List<Stmt> orElse) implements Stmt {}

    record For(List<String> targets, Expr iter, Expr filter, List<Stmt> body, List<Stmt> orElse, int line) implements Stmt {}

    /** {@code set a = x}, {@code set a, b = x}, {@code set ns.attr = x}. */
    record Set(List<String> targets, String attr, Expr value, int line) implements Stmt {}

    record SetBlock(String target, List<Stmt> body, List<FilterCall> filters) implements Stmt {}

    record Macro(String name, List<String> params, List<Expr> defaults, List<Stmt> body) implements Stmt {}

    record FilterBlock(List<FilterCall> filters, List<Stmt> body) implements Stmt {}

    /** {@code {% generation %}} (a transformers extension for assistant masks): renders its body. */
    record Block(List<Stmt> body) implements Stmt {}

    record Break() implements Stmt {}

    record Continue() implements Stmt {}

    record Do(Expr expr) implements Stmt {}

    sealed interface Expr {}

    record Literal(Object value) implements Expr {}

    record Name(String name, int line) implements Expr {}

    record ListLit(List<Expr> items) implements Expr {}

    record TupleLit(List<Expr> items) implements Expr {}

    record DictLit(List<Expr> keys, List<Expr> values) implements Expr {}

    record Attr(Expr target, String name) implements Expr {}

    record Item(Expr target, Expr key) implements Expr {}

    record Slice(Expr target, Expr start, Expr stop, Expr step) implements Expr {}

    record Call(Expr fn, List<Expr> args, List<String> kwNames, List<Expr> kwValues, int line) implements Expr {}

    record FilterCall(String name, List<Expr> args, List<String> kwNames, List<Expr> kwValues, int line) {}

    record Filter(Expr value, FilterCall filter) implements Expr {}

    record Test(Expr value, String name, List<Expr> args, boolean negated, int line) implements Expr {}

    record Unary(String op, Expr operand) implements Expr {}

    record Binary(String op, Expr left, Expr right, int line) implements Expr {}

    record Compare(Expr first, List<String> ops, List<Expr> rest, int line) implements Expr {}

    record And(Expr left, Expr right) implements Expr {}

    record Or(Expr left, Expr right) implements Expr {}

    record Not(Expr operand) implements Expr {}

    record Cond(Expr test, Expr then, Expr orElse) implements Expr {}
}
