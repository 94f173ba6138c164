package dev.tessera.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tessera.TesseraException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.zip.GZIPInputStream;

/**
 * A Hugging Face {@code tokenizer.json} tokenizer (BPE models: byte-level like Qwen/GPT-4, or SentencePiece-style
 * with byte fallback like Llama/Yi), producing the same ids and text as the Rust {@code tokenizers} library.
 *
 * <p>Encoding: added tokens are cut out of the raw text first; each remaining piece is normalized, cut again on
 * added tokens flagged {@code normalized}, pre-tokenized into words, and each word is BPE-merged. With
 * {@code addSpecialTokens} the post-processor adds BOS/EOS-style tokens.
 *
 * <p>Input text containing unpaired UTF-16 surrogates (possible in a Java String, impossible in UTF-8) is encoded
 * as if each of them were U+FFFD, which is what the Rust library sees when such text is converted lossily.
 *
 * <p>Instances are immutable apart from an internal word cache and are safe to share between threads.
 */
public final class Tokenizer {
    private final BpeModel model;
    private final Normalizer normalizer;
    private final PreTokenizer preTokenizer;
    private final PostProcessor postProcessor;
    private final Decoder decoder;
    private final AddedVocabulary added = new AddedVocabulary();
    private final String[] idToToken;
    private final boolean[] special;
    private final Map<String, Integer> addedIds = new HashMap<>();
    private final Path dir;
    private volatile TokenizerConfig config;

    private Tokenizer(TokenizerJson json, Path dir) {
        this.dir = dir;
        JsonNode root = json.root();
        JsonNode m = root.get("model");
        if (m == null || !m.isObject()) {
            throw new TesseraException.InvalidInput("tokenizer.json: the field \"model\" is missing or not an object");
        }
        model = new BpeModel(m, json.vocab(), json.merges());
        normalizer = Normalizer.fromJson(root.get("normalizer"), "normalizer");
        preTokenizer = PreTokenizer.fromJson(root.get("pre_tokenizer"), "pre_tokenizer");
        postProcessor = PostProcessor.fromJson(root.get("post_processor"), "post_processor");
        decoder = Decoder.fromJson(root.get("decoder"), "decoder");

        // Added-token ids follow the Rust library: content already in the vocabulary keeps its vocabulary id;
        // new content gets the next id after the vocabulary (or after the last added id). The JSON "id" is only
        // checked, not trusted.
        int modelSize = model.vocab.size();
        int maxAdded = -1;
        List<AddedVocabulary.AddedToken> tokens = new ArrayList<>();
        JsonNode at = root.get("added_tokens");
        if (at != null && !at.isNull()) {
            if (!at.isArray()) {
                throw new TesseraException.InvalidInput("tokenizer.json: added_tokens must be an array");
            }
            for (int i = 0; i < at.size(); i++) {
                JsonNode t = at.get(i);
                String path = "added_tokens[" + i + "]";
                String content = Json.text(t, "content", path);
                if (content.isEmpty()) continue;
                boolean isSpecial = t.path("special").asBoolean(false);
                Integer id = addedIds.get(content);
                if (id == null) id = model.vocab.get(content);
                if (id == null) {
                    id = maxAdded < 0 ? modelSize : (maxAdded >= modelSize ? maxAdded + 1 : modelSize);
                }
                if (addedIds.containsKey(content)) continue;
                addedIds.put(content, id);
                maxAdded = Math.max(maxAdded, id);
                tokens.add(new AddedVocabulary.AddedToken(content, id, isSpecial,
                        t.path("single_word").asBoolean(false), t.path("lstrip").asBoolean(false),
                        t.path("rstrip").asBoolean(false), t.path("normalized").asBoolean(!isSpecial)));
            }
        }
        int size = 0;
        for (int id : model.vocab.values()) size = Math.max(size, id + 1);
        for (var t : tokens) size = Math.max(size, t.id() + 1);
        idToToken = new String[size];
        special = new boolean[size];
        for (var e : model.vocab.entrySet()) idToToken[e.getValue()] = e.getKey();
        for (var t : tokens) {
            idToToken[t.id()] = t.content();
            special[t.id()] = t.special();
            added.add(t);
        }
    }

    /**
     * Loads a tokenizer from a directory holding {@code tokenizer.json} or {@code tokenizer.json.gz} (and optionally
     * {@code tokenizer_config.json}, {@code chat_template.jinja}, {@code generation_config.json},
     * {@code config.json}), or from a {@code tokenizer.json(.gz)} file.
     */
    public static Tokenizer load(Path dirOrFile) {
        Path file;
        Path dir;
        if (Files.isDirectory(dirOrFile)) {
            dir = dirOrFile;
            file = dirOrFile.resolve("tokenizer.json");
            if (!Files.isRegularFile(file)) file = dirOrFile.resolve("tokenizer.json.gz");
            if (!Files.isRegularFile(file)) {
                throw new TesseraException.InvalidInput("No tokenizer.json or tokenizer.json.gz in " + dirOrFile
                        + ": point --model at a Hugging Face checkpoint or tokenizer directory");
            }
        } else if (Files.isRegularFile(dirOrFile)) {
            file = dirOrFile;
            dir = dirOrFile.toAbsolutePath().getParent();
        } else {
            throw new TesseraException.InvalidInput("Tokenizer path does not exist: " + dirOrFile);
        }
        try (InputStream raw = Files.newInputStream(file);
                InputStream in = file.getFileName().toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw) {
            return new Tokenizer(TokenizerJson.read(new java.io.BufferedInputStream(in, 1 << 16)), dir);
        } catch (TesseraException e) {
            throw withFile(e, file);
        } catch (IOException e) {
            throw new TesseraException.InvalidInput("Cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Builds a tokenizer from the text of a {@code tokenizer.json} (no side files). */
    public static Tokenizer fromJson(String json) {
        try {
            return new Tokenizer(TokenizerJson.read(json), null);
        } catch (IOException e) {
            throw new TesseraException.InvalidInput("tokenizer.json is not valid JSON: " + e.getMessage(), e);
        }
    }

    private static TesseraException withFile(TesseraException e, Path file) {
        String msg = e.getMessage().replaceFirst("^tokenizer\\.json: ", "");
        return e instanceof TesseraException.Unsupported
                ? new TesseraException.Unsupported(file + ": " + msg)
                : new TesseraException.InvalidInput(file + ": " + msg, e);
    }

    /** Encodes text to ids; {@code addSpecialTokens} runs the post-processor (BOS/EOS, if the file has one). */
    public int[] encode(String text, boolean addSpecialTokens) {
        String s = Utf8.replaceLoneSurrogates(text);
        IntList out = new IntList(Math.max(16, s.length() / 3));
        List<PreTokenizer.Piece> pieces = new ArrayList<>();
        for (AddedVocabulary.Segment seg : added.splitRaw(s)) {
            if (seg.id() >= 0) {
                out.add(seg.id());
                continue;
            }
            String part = s.substring(seg.start(), seg.end());
            String norm = normalizer == null ? part : normalizer.normalize(part);
            int firstSpan = seg.start() == 0 ? originSpan(part) : 0;
            for (AddedVocabulary.Segment sub : added.splitNormalized(norm)) {
                if (sub.id() >= 0) {
                    out.add(sub.id());
                    continue;
                }
                pieces.clear();
                int span = sub.start() < firstSpan ? Math.min(sub.end(), firstSpan) - sub.start() : 0;
                pieces.add(new PreTokenizer.Piece(norm.substring(sub.start(), sub.end()), span));
                List<PreTokenizer.Piece> words = pieces;
                if (preTokenizer != null) {
                    words = new ArrayList<>();
                    preTokenizer.apply(pieces, words);
                }
                for (PreTokenizer.Piece w : words) model.tokenize(w.text(), out);
            }
        }
        int[] ids = out.toArray();
        return addSpecialTokens && postProcessor != null ? postProcessor.process(ids) : ids;
    }

    /**
     * How many leading chars of the normalized text come from the first character of {@code raw}: the length of
     * that character once normalized (Rust aligns every char a normalizer produces from it to offset 0).
     */
    private int originSpan(String raw) {
        if (raw.isEmpty()) return 0;
        String first = raw.substring(0, Character.charCount(raw.codePointAt(0)));
        return normalizer == null ? first.length() : normalizer.normalize(first).length();
    }

    /** Decodes ids to text, as the Rust library's {@code decode}; unknown ids raise {@link TesseraException.InvalidInput}. */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        List<String> tokens = new ArrayList<>(ids.length);
        for (int id : ids) {
            String t = tokenForDecode(id, skipSpecialTokens);
            if (t != null) tokens.add(t);
        }
        return decodeTokens(tokens, true);
    }

    /** The token string to feed the decoder for {@code id}, or null if it is skipped. */
    String tokenForDecode(int id, boolean skipSpecialTokens) {
        checkId(id);
        if (skipSpecialTokens && special[id]) return null;
        return idToToken[id]; // null for an id hole: the Rust library skips it too
    }

    String decodeTokens(List<String> tokens, boolean atStart) {
        if (decoder == null) return String.join(" ", tokens);
        return String.join("", decoder.decode(tokens, atStart));
    }

    private void checkId(int id) {
        if (id < 0 || id >= idToToken.length) {
            throw new TesseraException.InvalidInput("Token id " + id + " is out of range: the vocabulary has "
                    + idToToken.length + " ids (0.." + (idToToken.length - 1) + ")");
        }
    }

    /** A decoder that turns ids into text one at a time, for printing generated tokens as they come. */
    public StreamingDecoder newStreamingDecoder(boolean skipSpecialTokens) {
        return new StreamingDecoder(this, skipSpecialTokens);
    }

    /** Number of ids: one more than the largest id of the vocabulary and the added tokens. */
    public int vocabSize() {
        return idToToken.length;
    }

    public OptionalInt tokenToId(String token) {
        Integer id = addedIds.get(token);
        if (id == null) id = model.vocab.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** The token string of an id (byte-level or ▁ form, as stored in the vocabulary), or null for an id hole. */
    public String idToToken(int id) {
        checkId(id);
        return idToToken[id];
    }

    /** True for added tokens flagged {@code special} (the ones {@code skipSpecialTokens} removes). */
    public boolean isSpecial(int id) {
        return id >= 0 && id < special.length && special[id];
    }

    /** The chat template of the tokenizer directory, if it has one. */
    public Optional<ChatTemplate> chatTemplate() {
        return Optional.ofNullable(config().chatTemplate());
    }

    /** The ids that end generation (EOS from the configs and end-of-turn tokens of the vocabulary). */
    public StopTokens stopTokens() {
        return StopTokens.of(this, config());
    }

    /** The side files of the tokenizer directory (read on first use). */
    TokenizerConfig config() {
        TokenizerConfig c = config;
        if (c == null) {
            c = TokenizerConfig.load(dir);
            config = c;
        }
        return c;
    }

    @Override
    public String toString() {
        return "Tokenizer[vocab=" + idToToken.length + ", added=" + addedIds.size() + ", dir=" + dir + "]";
    }
}
