package dev.tessera.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tessera.TesseraException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code tokenizer.json} pre-tokenizer: splits each piece into smaller pieces (and may rewrite them, like
 * ByteLevel and Metaspace do). Splitting never crosses piece boundaries, as in the Rust library.
 */
interface PreTokenizer {
    /**
     * One piece of text. {@code originSpan} is the number of leading chars of {@code text} that derive from the
     * first character of the original input (0 if none). The Metaspace {@code prepend_scheme: "first"} rule
     * applies to pieces whose first char maps to original offset 0, as the Rust library decides through its
     * offset alignments: when a normalizer expands the first character (NFKC turns "½" into "1⁄2"), every piece
     * cut out of that expansion counts as first.
     */
    record Piece(String text, int originSpan) {
        boolean atStart() {
            return originSpan > 0;
        }

        /** The span of a sub-piece {@code [a, b)} of this piece. */
        int spanOf(int a, int b) {
            return a < originSpan ? Math.min(b, originSpan) - a : 0;
        }
    }

    void apply(List<Piece> in, List<Piece> out);

    /** How matched delimiters are kept, as the Rust {@code SplitDelimiterBehavior}. */
    enum Behavior {
        REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS;

        static Behavior fromJson(String s, String path) {
            return switch (s) {
                case "Removed" -> REMOVED;
                case "Isolated" -> ISOLATED;
                case "MergedWithPrevious" -> MERGED_WITH_PREVIOUS;
                case "MergedWithNext" -> MERGED_WITH_NEXT;
                case "Contiguous" -> CONTIGUOUS;
                default -> throw new TesseraException.InvalidInput(
                        "tokenizer.json: " + path + ".behavior \"" + s + "\" is not a known split behavior");
            };
        }
    }

    /** The regex of the ByteLevel pre-tokenizer when {@code use_regex} is true (GPT-2's pattern). */
    Pattern GPT2 = Regexes.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+", "ByteLevel");

    static PreTokenizer fromJson(JsonNode n, String path) {
        if (n == null || n.isNull()) return null;
        String type = Json.type(n, path);
        return switch (type) {
            case "Sequence" -> {
                JsonNode arr = Json.array(n, "pretokenizers", path);
                List<PreTokenizer> list = new ArrayList<>();
                for (int i = 0; i < arr.size(); i++) {
                    PreTokenizer p = fromJson(arr.get(i), path + ".pretokenizers[" + i + "]");
                    if (p != null) list.add(p);
                }
                yield (in, out) -> {
                    List<Piece> cur = in;
                    for (PreTokenizer p : list) {
                        List<Piece> next = new ArrayList<>(cur.size() * 2);
                        p.apply(cur, next);
                        cur = next;
                    }
                    out.addAll(cur);
                };
            }
            case "Split" -> {
                Pattern pat = Json.pattern(n, path);
                Behavior b = Behavior.fromJson(Json.text(n, "behavior", path), path);
                boolean invert = n.path("invert").asBoolean(false);
                // the known GPT-style patterns get a hand-written matcher with identical results
                java.util.function.Function<String, int[]> finder = GptSplitPattern
                        .forRegex(n.path("pattern").path("Regex").asText(""))
                        .<java.util.function.Function<String, int[]>>map(g -> g::matches)
                        .orElse(text -> regexMatches(pat, text));
                yield (in, out) -> {
                    for (Piece p : in) split(p, finder.apply(p.text()), b, invert, out);
                };
            }
            case "ByteLevel" -> {
                boolean addPrefixSpace = n.path("add_prefix_space").asBoolean(true);
                boolean useRegex = n.path("use_regex").asBoolean(true);
                yield (in, out) -> {
                    for (Piece p : in) {
                        String t = p.text();
                        int span = p.originSpan();
                        if (addPrefixSpace && !t.startsWith(" ")) {
                            t = " " + t; // aligned with the first char, like Rust's prepend
                            if (span > 0) span++;
                        }
                        Piece q = new Piece(t, span);
                        if (useRegex) {
                            List<Piece> parts = new ArrayList<>();
                            split(q, regexMatches(GPT2, t), Behavior.ISOLATED, false, parts);
                            for (Piece x : parts) out.add(byteLevel(x));
                        } else {
                            out.add(byteLevel(q));
                        }
                    }
                };
            }
            case "Metaspace" -> {
                String replacement = Json.text(n, "replacement", path);
                String scheme = n.has("prepend_scheme")
                        ? n.get("prepend_scheme").asText()
                        : (n.path("add_prefix_space").asBoolean(true) ? "always" : "never");
                boolean splitOnReplacement = n.path("split").asBoolean(true);
                int rep = replacement.codePointAt(0);
                yield (in, out) -> {
                    for (Piece p : in) {
                        String t = p.text().replace(" ", replacement);
                        boolean prepend = switch (scheme) {
                            case "always" -> true;
                            case "first" -> p.atStart();
                            case "never" -> false;
                            default -> throw new TesseraException.InvalidInput("tokenizer.json: " + path
                                    + ".prepend_scheme \"" + scheme + "\" is not first/always/never");
                        };
                        int span = p.originSpan();
                        if (prepend && !t.startsWith(replacement)) {
                            t = replacement + t;
                            if (span > 0) span += replacement.length();
                        }
                        Piece q = new Piece(t, span);
                        if (splitOnReplacement) {
                            split(q, charMatches(t, cp -> cp == rep), Behavior.MERGED_WITH_NEXT, false, out);
                        } else {
                            out.add(q);
                        }
                    }
                };
            }
            case "Whitespace" -> {
                Pattern w = Pattern.compile("\\w+|[^\\w\\s]+", Pattern.UNICODE_CHARACTER_CLASS);
                yield (in, out) -> {
                    for (Piece p : in) split(p, regexMatches(w, p.text()), Behavior.REMOVED, true, out);
                };
            }
            case "WhitespaceSplit" -> (in, out) -> {
                for (Piece p : in) split(p, charMatches(p.text(), Chars::isWhiteSpace), Behavior.REMOVED, false, out);
            };
            case "Digits" -> {
                Behavior b = n.path("individual_digits").asBoolean(false) ? Behavior.ISOLATED : Behavior.CONTIGUOUS;
                yield (in, out) -> {
                    for (Piece p : in) split(p, charMatches(p.text(), Chars::isNumeric), b, false, out);
                };
            }
            case "Punctuation" -> {
                Behavior b = Behavior.fromJson(n.path("behavior").asText("Isolated"), path);
                yield (in, out) -> {
                    for (Piece p : in) split(p, charMatches(p.text(), Chars::isPunctuation), b, false, out);
                };
            }
            default -> throw Json.unsupported(path, type);
        };
    }

    /** Maps a piece to byte-level chars, carrying its origin span over to the mapped text. */
    private static Piece byteLevel(Piece p) {
        String mapped = ByteLevel.encode(p.text());
        int span = p.originSpan() == 0 ? 0
                : p.originSpan() >= p.text().length() ? mapped.length()
                : ByteLevel.encode(p.text().substring(0, p.originSpan())).length();
        return new Piece(mapped, span);
    }

    /** Match ranges as [start0, end0, start1, end1, ...] in UTF-16 offsets. */
    static int[] regexMatches(Pattern p, String s) {
        IntList r = new IntList(16);
        Matcher m = p.matcher(s);
        while (m.find()) {
            r.add(m.start());
            r.add(m.end());
        }
        return r.toArray();
    }

    /** Every code point satisfying {@code pred} is its own match (as Rust's char-predicate patterns). */
    static int[] charMatches(String s, IntPredicate pred) {
        IntList r = new IntList(16);
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            int next = i + Character.charCount(cp);
            if (pred.test(cp)) {
                r.add(i);
                r.add(next);
            }
            i = next;
        }
        return r.toArray();
    }

    /** A growable boolean array (the match flags of {@link #split}). */
    final class BoolList {
        private boolean[] a;
        private int n;

        BoolList(int capacity) {
            a = new boolean[Math.max(4, capacity)];
        }

        void add(boolean v) {
            if (n == a.length) a = java.util.Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }

        boolean get(int i) {
            return a[i];
        }

        int size() {
            return n;
        }
    }

    /** Splits {@code p} at the given matches following Rust's {@code NormalizedString::split}. */
    static void split(Piece p, int[] matches, Behavior behavior, boolean invert, List<Piece> out) {
        String s = p.text();
        if (s.isEmpty()) return;
        // 1. alternate (range, isMatch) covering the whole text
        IntList starts = new IntList(matches.length + 2), ends = new IntList(matches.length + 2);
        BoolList isMatch = new BoolList(matches.length + 2);
        int prev = 0;
        for (int i = 0; i < matches.length; i += 2) {
            int a = matches[i], b = matches[i + 1];
            if (prev != a) {
                starts.add(prev);
                ends.add(a);
                isMatch.add(invert);
            }
            starts.add(a);
            ends.add(b);
            isMatch.add(!invert);
            prev = b;
        }
        if (prev != s.length()) {
            starts.add(prev);
            ends.add(s.length());
            isMatch.add(invert);
        }
        // 2. apply the behavior
        int n = isMatch.size();
        IntList os = new IntList(n), oe = new IntList(n);
        switch (behavior) {
            case ISOLATED -> {
                for (int i = 0; i < n; i++) {
                    os.add(starts.get(i));
                    oe.add(ends.get(i));
                }
            }
            case REMOVED -> {
                for (int i = 0; i < n; i++) {
                    if (!isMatch.get(i)) {
                        os.add(starts.get(i));
                        oe.add(ends.get(i));
                    }
                }
            }
            case MERGED_WITH_PREVIOUS -> {
                boolean previousMatch = false;
                int[] e = new int[n];
                int[] st = new int[n];
                int k = 0;
                for (int i = 0; i < n; i++) {
                    boolean m = isMatch.get(i);
                    if (m && !previousMatch && k > 0) {
                        e[k - 1] = ends.get(i);
                    } else {
                        st[k] = starts.get(i);
                        e[k] = ends.get(i);
                        k++;
                    }
                    previousMatch = m;
                }
                for (int i = 0; i < k; i++) {
                    os.add(st[i]);
                    oe.add(e[i]);
                }
            }
            case MERGED_WITH_NEXT -> {
                boolean previousMatch = false;
                int[] e = new int[n];
                int[] st = new int[n];
                int k = 0;
                for (int i = n - 1; i >= 0; i--) {
                    boolean m = isMatch.get(i);
                    if (m && !previousMatch && k > 0) {
                        st[k - 1] = starts.get(i);
                    } else {
                        st[k] = starts.get(i);
                        e[k] = ends.get(i);
                        k++;
                    }
                    previousMatch = m;
                }
                for (int i = k - 1; i >= 0; i--) {
                    os.add(st[i]);
                    oe.add(e[i]);
                }
            }
            case CONTIGUOUS -> {
                boolean previousMatch = false;
                int[] e = new int[n];
                int[] st = new int[n];
                int k = 0;
                for (int i = 0; i < n; i++) {
                    boolean m = isMatch.get(i);
                    if (m == previousMatch && k > 0) {
                        e[k - 1] = ends.get(i);
                    } else {
                        st[k] = starts.get(i);
                        e[k] = ends.get(i);
                        k++;
                    }
                    previousMatch = m;
                }
                for (int i = 0; i < k; i++) {
                    os.add(st[i]);
                    oe.add(e[i]);
                }
            }
        }
        for (int i = 0; i < os.size(); i++) {
            int a = os.get(i), b = oe.get(i);
            if (a < b) out.add(new Piece(s.substring(a, b), p.spanOf(a, b)));
        }
    }
}
