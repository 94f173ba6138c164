package dev.tessera.tokenizer;

import dev.tessera.TesseraException;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Compiles the regexes of {@code tokenizer.json} (written for Rust's Oniguruma) so that they mean the same in
 * {@link java.util.regex}. Oniguruma in Unicode mode treats {@code \s}, {@code \d}, {@code \w} and case-insensitive
 * matching as Unicode-aware; Java does so only with {@link Pattern#UNICODE_CHARACTER_CLASS}, which also makes
 * {@code \s} the White_Space property (including U+0085, NBSP, U+3000) exactly like Oniguruma. {@code \p{L}},
 * {@code \p{M}}, {@code \p{N}}, look-ahead ({@code \s+(?!\S)}), possessive and lazy quantifiers, and
 * leftmost-first alternation already behave the same in both engines.
 */
final class Regexes {
    private Regexes() {}

    static Pattern compile(String regex, String path) {
        try {
            return Pattern.compile(translate(regex), Pattern.UNICODE_CHARACTER_CLASS);
        } catch (PatternSyntaxException e) {
            throw new TesseraException.InvalidInput(
                    "tokenizer.json: " + path + " is not a valid regex: " + e.getDescription() + " in " + regex, e);
        }
    }

    /**
     * Rewrites the few Oniguruma spellings that Java reads differently: {@code \h} is a hex digit in Oniguruma but
     * horizontal whitespace in Java, and {@code \p{Han}}-style script names need Java's {@code Is} prefix.
     */
    static String translate(String r) {
        StringBuilder sb = new StringBuilder(r.length() + 8);
        for (int i = 0; i < r.length(); i++) {
            char c = r.charAt(i);
            if (c == '\\' && i + 1 < r.length()) {
                char d = r.charAt(i + 1);
                if (d == 'h') {
                    sb.append("[0-9a-fA-F]");
                    i++;
                    continue;
                }
                if (d == 'H') {
                    sb.append("[^0-9a-fA-F]");
                    i++;
                    continue;
                }
                if ((d == 'p' || d == 'P') && i + 2 < r.length() && r.charAt(i + 2) == '{') {
                    int end = r.indexOf('}', i + 3);
                    if (end > 0) {
                        String name = r.substring(i + 3, end);
                        sb.append('\\').append(d).append('{').append(javaPropertyName(name)).append('}');
                        i = end;
                        continue;
                    }
                }
                sb.append(c).append(d);
                i++;
                continue;
            }
            sb.append(c);
        }
        return sb.toString();
    }

    private static String javaPropertyName(String name) {
        String n = name.startsWith("^") ? name.substring(1) : name;
        if (n.length() <= 2 || n.startsWith("Is") || n.startsWith("In") || n.contains("=")) return name;
        try {
            Character.UnicodeScript.forName(n);
            return (name.startsWith("^") ? "^" : "") + "Is" + n;
        } catch (IllegalArgumentException e) {
            return name;
        }
    }
}
