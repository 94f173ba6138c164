package dev.tessera.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tessera.TesseraException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The BPE model of a {@code tokenizer.json}: vocabulary, ranked merges, unknown-token and byte-fallback handling.
 *
 * <p>Merging follows the Rust library exactly: all adjacent pairs that have a merge go into a priority queue ordered
 * by (rank, position); the lowest is applied, stale entries are skipped, and the two new neighbour pairs are queued.
 * That is O(n log n) in the word length, so a megabyte-long "word" is fine.
 */
final class BpeModel {
    private static final int CACHE_CAPACITY = 100_000;
    private static final int CACHE_MAX_WORD = 256;

    final Map<String, Integer> vocab;
    private final LongLongMap merges;
    private final int unkId;
    private final boolean fuseUnk;
    private final boolean byteFallback;
    private final boolean ignoreMerges;
    private final String prefix;
    private final String suffix;
    private final int[] byteIds = new int[256];
    /** Vocabulary id of each single BMP char (-1 if absent): the symbol lookup of every char of every word. */
    private final int[] charIds = new int[0x10000];
    /** Word → ids. Bounded: once full, new words are simply not cached (as the Rust library does). */
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * @param vocab token → id, streamed from {@code model.vocab} (null if the field is missing or not an object)
     * @param merges each a String {@code "a b"} or a String[] pair, streamed from {@code model.merges} (null if absent)
     */
    BpeModel(JsonNode model, Map<String, Integer> vocab, List<Object> merges) {
        String type = model.path("type").asText("BPE");
        if (!type.equals("BPE")) {
            throw new TesseraException.Unsupported("tokenizer.json model.type '" + type
                    + "' is not supported (only BPE: byte-level BPE and SentencePiece-style BPE)");
        }
        if (vocab == null) {
            throw new TesseraException.InvalidInput("tokenizer.json: model.vocab must be an object of token → id, got "
                    + model.get("vocab"));
        }
        if (merges == null && model.has("merges") && !model.get("merges").isNull()) {
            throw new TesseraException.InvalidInput("tokenizer.json: model.merges must be an array, got " + model.get("merges"));
        }
        this.vocab = vocab;
        prefix = textOrEmpty(model.get("continuing_subword_prefix"));
        suffix = textOrEmpty(model.get("end_of_word_suffix"));
        List<Object> m = merges == null ? List.of() : merges;
        this.merges = new LongLongMap(Math.max(16, m.size()));
        for (int rank = 0; rank < m.size(); rank++) {
            Object mn = m.get(rank);
            String a, b;
            if (mn instanceof String line) {
                // "a b": the Rust library splits on the space and requires exactly two parts
                String[] parts = line.split(" ", -1);
                if (parts.length != 2) {
                    throw new TesseraException.InvalidInput("tokenizer.json: model.merges[" + rank + "] = \""
                            + line + "\" is not two tokens separated by one space");
                }
                a = parts[0];
                b = parts[1];
            } else if (mn instanceof String[] pair && pair.length == 2) {
                a = pair[0];
                b = pair[1];
            } else {
                throw new TesseraException.InvalidInput("tokenizer.json: model.merges[" + rank
                        + "] must be a string \"a b\" or an array [\"a\", \"b\"]");
            }
            Integer ia = vocab.get(a), ib = vocab.get(b);
            String merged = a + (prefix.isEmpty() || !b.startsWith(prefix) ? b : b.substring(prefix.length()));
            Integer im = vocab.get(merged);
            if (ia == null || ib == null || im == null) {
                throw new TesseraException.InvalidInput("tokenizer.json: model.merges[" + rank + "] (\"" + a
                        + "\", \"" + b + "\") refers to a token missing from model.vocab");
            }
            this.merges.putIfAbsent(pairKey(ia, ib), ((long) rank << 32) | im);
        }
        JsonNode unk = model.get("unk_token");
        if (unk != null && !unk.isNull()) {
            Integer id = vocab.get(unk.asText());
            if (id == null) {
                throw new TesseraException.InvalidInput(
                        "tokenizer.json: model.unk_token \"" + unk.asText() + "\" is not in model.vocab");
            }
            unkId = id;
        } else {
            unkId = -1;
        }
        fuseUnk = model.path("fuse_unk").asBoolean(false);
        byteFallback = model.path("byte_fallback").asBoolean(false);
        ignoreMerges = model.path("ignore_merges").asBoolean(false);
        for (int b = 0; b < 256; b++) {
            byteIds[b] = vocab.getOrDefault(String.format("<0x%02X>", b), -1);
        }
        java.util.Arrays.fill(charIds, -1);
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            if (e.getKey().length() == 1) charIds[e.getKey().charAt(0)] = e.getValue();
        }
    }

    private static String textOrEmpty(JsonNode n) {
        return n == null || n.isNull() ? "" : n.asText();
    }

    private static long pairKey(int a, int b) {
        return ((long) a << 32) | (b & 0xFFFFFFFFL);
    }

    /** Appends the ids of one pre-tokenized word. */
    void tokenize(String word, IntList out) {
        if (word.isEmpty()) return;
        boolean cacheable = word.length() <= CACHE_MAX_WORD;
        if (cacheable) {
            int[] hit = cache.get(word);
            if (hit != null) {
                out.addAll(hit);
                return;
            }
        }
        int[] ids = merge(word);
        if (cacheable && cache.size() < CACHE_CAPACITY) cache.put(word, ids);
        out.addAll(ids);
    }

    private int[] merge(String word) {
        if (ignoreMerges) {
            Integer whole = vocab.get(word);
            if (whole != null) return new int[] {whole};
        }
        // 1. one symbol per char (or per byte with byte fallback, or a (fused) unk)
        IntList syms = new IntList(word.length());
        int n = word.length();
        boolean lastWasUnk = false;
        for (int i = 0; i < n; ) {
            int cp = word.codePointAt(i);
            int next = i + Character.charCount(cp);
            if (cp < 0x10000 && prefix.isEmpty() && suffix.isEmpty() && charIds[cp] >= 0) {
                syms.add(charIds[cp]);
                i = next;
                lastWasUnk = false;
                continue;
            }
            String s = word.substring(i, next);
            if (!prefix.isEmpty() && i > 0) s = prefix + s;
            if (!suffix.isEmpty() && next == n) s = s + suffix;
            i = next;
            Integer id = vocab.get(s);
            if (id != null) {
                syms.add(id);
                lastWasUnk = false;
                continue;
            }
            if (byteFallback && addBytes(s, syms)) {
                lastWasUnk = false;
                continue;
            }
            if (unkId >= 0) {
                if (!(fuseUnk && lastWasUnk)) syms.add(unkId);
                lastWasUnk = true;
            }
            // without an unk token the Rust library drops the char
        }
        int len = syms.size();
        if (len <= 1) return syms.toArray();
        int[] ids = syms.toArray();
        int[] prev = new int[len], nxt = new int[len];
        for (int i = 0; i < len; i++) {
            prev[i] = i - 1;
            nxt[i] = i + 1 < len ? i + 1 : -1;
        }
        // 2. priority queue of (rank, position), lowest first
        long[] heap = new long[len];
        int hn = 0;
        for (int i = 0; i + 1 < len; i++) {
            long m = merges.get(pairKey(ids[i], ids[i + 1]), -1);
            if (m >= 0) hn = push(heap, hn, ((m >>> 32) << 32) | i);
        }
        while (hn > 0) {
            long top = heap[0];
            hn = pop(heap, hn);
            int pos = (int) top, rank = (int) (top >>> 32);
            if (ids[pos] < 0) continue; // merged away
            int right = nxt[pos];
            if (right < 0) continue;
            long m = merges.get(pairKey(ids[pos], ids[right]), -1);
            if (m < 0 || (int) (m >>> 32) != rank) continue; // stale entry
            ids[pos] = (int) m;
            ids[right] = -1;
            int rr = nxt[right];
            nxt[pos] = rr;
            if (rr >= 0) prev[rr] = pos;
            if (hn + 2 > heap.length) heap = java.util.Arrays.copyOf(heap, heap.length * 2 + 2);
            int p = prev[pos];
            if (p >= 0) {
                long pm = merges.get(pairKey(ids[p], ids[pos]), -1);
                if (pm >= 0) hn = push(heap, hn, ((pm >>> 32) << 32) | p);
            }
            if (rr >= 0) {
                long nm = merges.get(pairKey(ids[pos], ids[rr]), -1);
                if (nm >= 0) hn = push(heap, hn, ((nm >>> 32) << 32) | pos);
            }
        }
        IntList out = new IntList(len);
        for (int i = 0; i >= 0; i = nxt[i]) out.add(ids[i]);
        return out.toArray();
    }

    private boolean addBytes(String s, IntList syms) {
        byte[] bytes = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (byte b : bytes) {
            if (byteIds[b & 0xFF] < 0) return false;
        }
        for (byte b : bytes) syms.add(byteIds[b & 0xFF]);
        return true;
    }

    private static int push(long[] heap, int n, long v) {
        int i = n;
        heap[i] = v;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (heap[parent] <= v) break;
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = v;
        return n + 1;
    }

    private static int pop(long[] heap, int n) {
        n--;
        long v = heap[n];
        int i = 0;
        while (true) {
            int c = 2 * i + 1;
            if (c >= n) break;
            if (c + 1 < n && heap[c + 1] < heap[c]) c++;
            if (heap[c] >= v) break;
            heap[i] = heap[c];
            i = c;
        }
        if (n > 0) heap[i] = v;
        return n;
    }
}
