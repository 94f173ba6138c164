package dev.tessera.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Added tokens (special or not) and how they are cut out of the input before normalization and pre-tokenization,
 * following the Rust {@code AddedVocabulary}: leftmost-longest matching, then the {@code single_word},
 * {@code lstrip} and {@code rstrip} rules. Tokens with {@code normalized: true} are matched in normalized text,
 * the others in the raw input.
 */
final class AddedVocabulary {
    record AddedToken(String content, int id, boolean special, boolean singleWord, boolean lstrip, boolean rstrip,
            boolean normalized) {}

    /** A cut of the input: either an added token ({@code id >= 0}) or plain text between {@code start, end}. */
    record Segment(int start, int end, int id) {}

    private final Trie raw = new Trie();
    private final Trie normalized = new Trie();

    void add(AddedToken t) {
        (t.normalized() ? normalized : raw).add(t);
    }

    List<Segment> splitRaw(String s) {
        return raw.split(s);
    }

    List<Segment> splitNormalized(String s) {
        return normalized.split(s);
    }

    /** A char trie over token contents, for leftmost-longest matching. */
    private static final class Trie {
        private static final class Node {
            final Map<Character, Node> next = new HashMap<>(4);
            AddedToken token;
        }

        private final Node root = new Node();
        private boolean empty = true;
        /** Chars that start some token: a cheap filter before the (boxing) map lookup. */
        private final java.util.BitSet firstChars = new java.util.BitSet();

        void add(AddedToken t) {
            if (t.content().isEmpty()) return;
            firstChars.set(t.content().charAt(0));
            Node n = root;
            for (int i = 0; i < t.content().length(); i++) n = n.next.computeIfAbsent(t.content().charAt(i), c -> new Node());
            if (n.token == null) n.token = t;
            empty = false;
        }

        List<Segment> split(String s) {
            List<Segment> out = new ArrayList<>();
            if (empty) {
                if (!s.isEmpty()) out.add(new Segment(0, s.length(), -1));
                return out;
            }
            int len = s.length();
            int startOffset = 0;
            int i = 0;
            while (i < len) {
                if (!firstChars.get(s.charAt(i))) {
                    i++;
                    continue;
                }
                Node n = root.next.get(s.charAt(i));
                if (n == null) {
                    i++;
                    continue;
                }
                // longest token starting at i
                AddedToken best = n.token;
                int bestEnd = i + 1;
                for (int j = i + 1; j < len; j++) {
                    n = n.next.get(s.charAt(j));
                    if (n == null) break;
                    if (n.token != null) {
                        best = n.token;
                        bestEnd = j + 1;
                    }
                }
                if (best == null) {
                    i++;
                    continue;
                }
                int start = i, stop = bestEnd;
                i = bestEnd; // like Aho-Corasick's non-overlapping iteration, resume after the match
                if (best.singleWord()) {
                    boolean startSpace = start == 0 || !Chars.isWordChar(s.codePointBefore(start));
                    boolean stopSpace = stop == len || !Chars.isWordChar(s.codePointAt(stop));
                    if (!startSpace || !stopSpace) continue;
                }
                if (start < startOffset) continue; // swallowed by the previous token's rstrip
                if (best.lstrip()) {
                    int ns = start;
                    while (ns > startOffset && Chars.isWhiteSpace(s.codePointBefore(ns))) {
                        ns -= Character.charCount(s.codePointBefore(ns));
                    }
                    start = ns;
                }
                if (best.rstrip()) {
                    while (stop < len && Chars.isWhiteSpace(s.codePointAt(stop))) {
                        stop += Character.charCount(s.codePointAt(stop));
                    }
                    i = Math.max(i, stop);
                }
                if (start > startOffset) out.add(new Segment(startOffset, start, -1));
                out.add(new Segment(start, stop, best.id()));
                startOffset = stop;
            }
            if (startOffset < len) out.add(new Segment(startOffset, len, -1));
            return out;
        }
    }
}
