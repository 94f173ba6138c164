package dev.tessera.tokenizer.jinja;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a template into tokens the way Jinja2's lexer does with the settings transformers uses:
 * {@code trim_blocks} (drop the first newline after a block or comment tag), {@code lstrip_blocks} (drop spaces and
 * tabs before a block or comment tag that starts a line), {@code -} whitespace control on any tag, {@code +} to
 * disable lstrip/trim on one tag, {@code keep_trailing_newline=False} (one final newline is dropped), and the
 * default {@code newline_sequence} (all source newlines become {@code \n}).
 */
final class Lexer {
    enum Kind { TEXT, VAR_BEGIN, VAR_END, BLOCK_BEGIN, BLOCK_END, NAME, STRING, INT, FLOAT, OP, EOF }

    record Token(Kind kind, String text, int line) {
        boolean is(Kind k, String t) {
            return kind == k && text.equals(t);
        }

        boolean isName(String t) {
            return kind == Kind.NAME && text.equals(t);
        }

        boolean isOp(String t) {
            return kind == Kind.OP && text.equals(t);
        }
    }

    private static final String[] OPS = {
        "**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[", "]", "{", "}",
        ".", ",", ":", "|"
    };

    private final String src;
    private int pos;
    private int line = 1;
    private final List<Token> out = new ArrayList<>();

    private Lexer(String src) {
        this.src = src;
    }

    static List<Token> tokenize(String source) {
        // Jinja2 normalizes every newline of the source (\r\n, \r, \n) to \n before lexing, string literals included
        String s = source.replace("\r\n", "\n").replace('\r', '\n');
        if (s.endsWith("\n")) s = s.substring(0, s.length() - 1);
        Lexer lx = new Lexer(s);
        lx.run();
        return lx.out;
    }

    private void run() {
        boolean stripNextLeading = false; // a "-%}" / "-}}" before this text
        boolean trimNextNewline = false; // trim_blocks after "%}" / "#}"
        while (pos < src.length()) {
            int open = findTagOpen(pos);
            String text = src.substring(pos, open < 0 ? src.length() : open);
            String kind = open < 0 ? null : src.substring(open, open + 2);
            char modifier = open >= 0 && open + 2 < src.length() ? src.charAt(open + 2) : 0;
            // whitespace control on the text before the tag
            if (stripNextLeading) {
                text = stripLeading(text);
            } else if (trimNextNewline && text.startsWith("\n")) {
                text = text.substring(1);
            }
            if (kind != null) {
                if (modifier == '-') {
                    text = stripTrailing(text);
                } else if (modifier != '+' && !kind.equals("{{")) {
                    text = lstripBlock(text, open);
                }
            }
            if (!text.isEmpty()) out.add(new Token(Kind.TEXT, text, line));
            countLines(pos, open < 0 ? src.length() : open);
            if (open < 0) {
                pos = src.length();
                break;
            }
            pos = open + 2 + (modifier == '-' || modifier == '+' ? 1 : 0);
            if (kind.equals("{#")) {
                int end = src.indexOf("#}", pos);
                if (end < 0) throw new TemplateException("unclosed comment", line);
                boolean minus = end > pos && src.charAt(end - 1) == '-';
                boolean plus = end > pos && src.charAt(end - 1) == '+';
                countLines(pos, end + 2);
                pos = end + 2;
                stripNextLeading = minus;
                trimNextNewline = !minus && !plus;
                continue;
            }
            boolean block = kind.equals("{%");
            if (block && isRawStart()) {
                readRaw();
                stripNextLeading = false;
                trimNextNewline = true;
                continue;
            }
            out.add(new Token(block ? Kind.BLOCK_BEGIN : Kind.VAR_BEGIN, kind, line));
            String close = block ? "%}" : "}}";
            char endModifier = lexExpression(close);
            out.add(new Token(block ? Kind.BLOCK_END : Kind.VAR_END, close, line));
            stripNextLeading = endModifier == '-';
            trimNextNewline = block && endModifier != '-' && endModifier != '+';
        }
        out.add(new Token(Kind.EOF, "", line));
    }

    private int findTagOpen(int from) {
        int i = from;
        while (true) {
            i = src.indexOf('{', i);
            if (i < 0 || i + 1 >= src.length()) return -1;
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') return i;
            i++;
        }
    }

    /** lstrip_blocks: remove spaces/tabs between the last line start and the tag, if only those are there. */
    private String lstripBlock(String text, int tagPos) {
        int i = text.length();
        while (i > 0 && (text.charAt(i - 1) == ' ' || text.charAt(i - 1) == '\t')) i--;
        boolean lineStart = i == 0 ? atLineStart(tagPos - text.length()) : text.charAt(i - 1) == '\n';
        return lineStart ? text.substring(0, i) : text;
    }

    private boolean atLineStart(int p) {
        return p == 0 || src.charAt(p - 1) == '\n';
    }

    private static String stripTrailing(String s) {
        int i = s.length();
        while (i > 0 && Character.isWhitespace(s.charAt(i - 1))) i--;
        return s.substring(0, i);
    }

    private static String stripLeading(String s) {
        int i = 0;
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        return s.substring(i);
    }

    private void countLines(int from, int to) {
        for (int i = from; i < to; i++) if (src.charAt(i) == '\n') line++;
    }

    private boolean isRawStart() {
        int i = pos;
        while (i < src.length() && Character.isWhitespace(src.charAt(i))) i++;
        if (!src.startsWith("raw", i)) return false;
        int j = i + 3;
        while (j < src.length() && Character.isWhitespace(src.charAt(j))) j++;
        return src.startsWith("%}", j) || src.startsWith("-%}", j);
    }

    private void readRaw() {
        int close = src.indexOf("%}", pos);
        int bodyStart = close + 2;
        int i = bodyStart;
        while (true) {
            int e = src.indexOf("{%", i);
            if (e < 0) throw new TemplateException("unclosed raw block", line);
            int k = e + 2;
            if (k < src.length() && (src.charAt(k) == '-' || src.charAt(k) == '+')) k++;
            while (k < src.length() && Character.isWhitespace(src.charAt(k))) k++;
            if (src.startsWith("endraw", k)) {
                int end = src.indexOf("%}", k);
                out.add(new Token(Kind.TEXT, src.substring(bodyStart, e), line));
                countLines(pos, end + 2);
                pos = end + 2;
                return;
            }
            i = e + 2;
        }
    }

    /** Lexes expression tokens up to the closing delimiter; returns its modifier ('-', '+' or 0). */
    private char lexExpression(String close) {
        while (true) {
            if (pos >= src.length()) throw new TemplateException("missing " + close, line);
            char c = src.charAt(pos);
            if (c == '\n') line++;
            if (Character.isWhitespace(c)) {
                pos++;
                continue;
            }
            if ((c == '-' || c == '+') && src.startsWith(close, pos + 1)) {
                pos += 1 + close.length();
                return c;
            }
            if (src.startsWith(close, pos)) {
                pos += close.length();
                return 0;
            }
            if (c == '\'' || c == '"') {
                out.add(new Token(Kind.STRING, readString(c), line));
                continue;
            }
            if (Character.isDigit(c)) {
                int start = pos;
                while (pos < src.length() && (Character.isDigit(src.charAt(pos)) || src.charAt(pos) == '_')) pos++;
                boolean isFloat = false;
                if (pos + 1 < src.length() && src.charAt(pos) == '.' && Character.isDigit(src.charAt(pos + 1))) {
                    isFloat = true;
                    pos++;
                    while (pos < src.length() && Character.isDigit(src.charAt(pos))) pos++;
                }
                if (pos < src.length() && (src.charAt(pos) == 'e' || src.charAt(pos) == 'E')) {
                    int save = pos;
                    pos++;
                    if (pos < src.length() && (src.charAt(pos) == '+' || src.charAt(pos) == '-')) pos++;
                    if (pos < src.length() && Character.isDigit(src.charAt(pos))) {
                        isFloat = true;
                        while (pos < src.length() && Character.isDigit(src.charAt(pos))) pos++;
                    } else {
                        pos = save;
                    }
                }
                out.add(new Token(isFloat ? Kind.FLOAT : Kind.INT, src.substring(start, pos).replace("_", ""), line));
                continue;
            }
            if (Character.isLetter(c) || c == '_') {
                int start = pos;
                while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_')) pos++;
                out.add(new Token(Kind.NAME, src.substring(start, pos), line));
                continue;
            }
            String op = null;
            for (String o : OPS) {
                if (src.startsWith(o, pos)) {
                    op = o;
                    break;
                }
            }
            if (op == null) throw new TemplateException("unexpected character '" + c + "'", line);
            out.add(new Token(Kind.OP, op, line));
            pos += op.length();
        }
    }

    /** A Python string literal body with Python's escapes (Jinja decodes them with {@code unicode-escape}). */
    private String readString(char quote) {
        StringBuilder sb = new StringBuilder();
        pos++;
        while (true) {
            if (pos >= src.length()) throw new TemplateException("unclosed string literal", line);
            char c = src.charAt(pos++);
            if (c == quote) return sb.toString();
            if (c == '\n') line++;
            if (c != '\\' || pos >= src.length()) {
                sb.append(c);
                continue;
            }
            char e = src.charAt(pos++);
            switch (e) {
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case '\\' -> sb.append('\\');
                case '\'' -> sb.append('\'');
                case '"' -> sb.append('"');
                case 'a' -> sb.append('\u0007');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'v' -> sb.append('\u000B');
                case '\n' -> line++; // a backslash-newline continues the line
                case 'x' -> sb.append((char) hex(2));
                case 'u' -> sb.append((char) hex(4));
                case 'U' -> sb.appendCodePoint(hex(8));
                default -> {
                    if (e >= '0' && e <= '7') {
                        int v = e - '0';
                        for (int k = 0; k < 2 && pos < src.length() && src.charAt(pos) >= '0' && src.charAt(pos) <= '7'; k++) {
                            v = v * 8 + (src.charAt(pos++) - '0');
                        }
                        sb.append((char) v);
                    } else {
                        sb.append('\\').append(e); // unknown escapes stay as written, as in Python
                    }
                }
            }
        }
    }

    private int hex(int n) {
        if (pos + n > src.length()) throw new TemplateException("truncated \\x/\\u escape", line);
        int v = Integer.parseInt(src.substring(pos, pos + n), 16);
        pos += n;
        return v;
    }
}
