package dev.tessera.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tessera.TesseraException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Behaviour beyond the goldens: invalid input, id rules, very long words, stop tokens, anchors. */
class TokenizerBehaviourTest {

    // ---- invalid input

    @Test
    void unpairedSurrogatesEncodeAsReplacementCharacter() {
        Tokenizer tok = GoldenCases.tokenizer("qwen3");
        assertThat(tok.encode("a\uD800b", false)).containsExactly(tok.encode("a\uFFFDb", false));
        assertThat(tok.encode("x\uDC00", false)).containsExactly(tok.encode("x\uFFFD", false));
        assertThat(tok.encode("\uD83D", false)).containsExactly(tok.encode("\uFFFD", false));
        // a valid pair is untouched
        assertThat(tok.decode(tok.encode("\uD83D\uDE00", false), false)).isEqualTo("\uD83D\uDE00");
        Tokenizer sp = GoldenCases.tokenizer("nanbeige4");
        assertThat(sp.encode("a\uDBFFz", true)).containsExactly(sp.encode("a\uFFFDz", true));
    }

    @Test
    void decodeRejectsIdsOutOfRange() {
        Tokenizer tok = GoldenCases.tokenizer("granite-4.0-h");
        int n = tok.vocabSize();
        assertThatThrownBy(() -> tok.decode(new int[] {791, n}, false))
                .isInstanceOf(TesseraException.InvalidInput.class)
                .hasMessageContaining("Token id " + n)
                .hasMessageContaining(String.valueOf(n));
        assertThatThrownBy(() -> tok.decode(new int[] {-1}, true))
                .isInstanceOf(TesseraException.InvalidInput.class)
                .hasMessageContaining("-1");
        assertThatThrownBy(() -> tok.newStreamingDecoder(false).push(n + 5))
                .isInstanceOf(TesseraException.InvalidInput.class);
        assertThat(tok.decode(new int[0], false)).isEmpty();
    }

    @Test
    void malformedTokenizerJsonNamesTheField() {
        assertThatThrownBy(() -> Tokenizer.fromJson("{\"version\": \"1.0\"}"))
                .isInstanceOf(TesseraException.InvalidInput.class).hasMessageContaining("\"model\"");
        assertThatThrownBy(() -> Tokenizer.fromJson(tiny("\"merges\": 5")))
                .isInstanceOf(TesseraException.InvalidInput.class).hasMessageContaining("model.merges");
        assertThatThrownBy(() -> Tokenizer.fromJson(tiny("\"merges\": [\"a b c\"]")))
                .isInstanceOf(TesseraException.InvalidInput.class).hasMessageContaining("model.merges[0]");
        assertThatThrownBy(() -> Tokenizer.fromJson(tiny("\"merges\": [[\"a\", \"zz\"]]")))
                .isInstanceOf(TesseraException.InvalidInput.class).hasMessageContaining("model.merges[0]");
        String badSplit = "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []},"
                + " \"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\","
                + " \"pattern\": {\"Regex\": \"(\"}, \"behavior\": \"Isolated\"}]}}";
        assertThatThrownBy(() -> Tokenizer.fromJson(badSplit))
                .isInstanceOf(TesseraException.InvalidInput.class)
                .hasMessageContaining("pre_tokenizer.pretokenizers[0].pattern.Regex");
        assertThatThrownBy(() -> Tokenizer.fromJson("{not json"))
                .isInstanceOf(TesseraException.InvalidInput.class).hasMessageContaining("not valid JSON");
    }

    @Test
    void malformedFileNamesThePath(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), tiny("\"vocab\": []"));
        assertThatThrownBy(() -> Tokenizer.load(dir))
                .isInstanceOf(TesseraException.InvalidInput.class)
                .hasMessageContaining(dir.resolve("tokenizer.json").toString());
        Path empty = Files.createDirectory(dir.resolve("empty"));
        assertThatThrownBy(() -> Tokenizer.load(empty))
                .isInstanceOf(TesseraException.InvalidInput.class).hasMessageContaining("No tokenizer.json");
    }

    /** A minimal byte-fallback-free BPE tokenizer.json; {@code override} replaces one model field. */
    private static String tiny(String override) {
        String vocab = "\"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2}";
        String merges = "\"merges\": [\"a b\"]";
        if (override.startsWith("\"vocab\"")) vocab = override;
        if (override.startsWith("\"merges\"")) merges = override;
        return "{\"model\": {\"type\": \"BPE\", " + vocab + ", " + merges + "}}";
    }

    // ---- added tokens: ids follow the Rust library, not the JSON "id"

    @Test
    void addedTokenIdsComeFromTheVocabularyOrFollowIt() {
        String json = "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2}, \"merges\": [[\"a\", \"b\"]]},"
                + " \"added_tokens\": ["
                + "  {\"id\": 99, \"content\": \"ab\", \"special\": true, \"normalized\": false},"
                + "  {\"id\": 50, \"content\": \"<x>\", \"special\": true, \"normalized\": false},"
                + "  {\"id\": 7, \"content\": \"<y>\", \"special\": false, \"normalized\": false}]}";
        Tokenizer tok = Tokenizer.fromJson(json);
        assertThat(tok.tokenToId("ab")).hasValue(2);
        assertThat(tok.tokenToId("<x>")).hasValue(3);
        assertThat(tok.tokenToId("<y>")).hasValue(4);
        assertThat(tok.vocabSize()).isEqualTo(5);
        assertThat(tok.encode("a<x>ab<y>b", false)).containsExactly(0, 3, 2, 4, 1);
        assertThat(tok.isSpecial(3)).isTrue();
        assertThat(tok.isSpecial(4)).isFalse();
        assertThat(tok.decode(new int[] {0, 3, 2, 4}, true)).isEqualTo("a <y>"); // no decoder: joined by spaces
    }

    @Test
    void addedTokenFlagsLstripRstripSingleWord() {
        String json = "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \" \": 1, \"b\": 2}, \"merges\": []},"
                + " \"added_tokens\": ["
                + "  {\"id\": 3, \"content\": \"<m>\", \"lstrip\": true, \"rstrip\": true, \"special\": true, \"normalized\": false},"
                + "  {\"id\": 4, \"content\": \"ab\", \"single_word\": true, \"special\": false, \"normalized\": false}]}";
        Tokenizer tok = Tokenizer.fromJson(json);
        assertThat(tok.encode("a  <m>  b", false)).containsExactly(0, 3, 2);
        assertThat(tok.encode("ab a", false)).containsExactly(4, 1, 0);
        assertThat(tok.encode("aab", false)).containsExactly(0, 0, 2); // not a whole word: no match
    }

    // ---- long input

    @Test
    void oneMegabyteSingleWordEncodes() {
        for (String folder : List.of("qwen3", "nanbeige4")) {
            Tokenizer tok = GoldenCases.tokenizer(folder);
            String word = "ab".repeat(1 << 19);
            int[] ids = tok.encode(word, false);
            assertThat(ids.length).isGreaterThan(1000);
            assertThat(tok.decode(ids, false)).isEqualTo(word);
            String cjk = "\u9F98".repeat(1 << 18); // a rare CJK char: byte-level merges / byte fallback
            assertThat(tok.decode(tok.encode(cjk, false), false)).isEqualTo(cjk);
        }
    }

    // ---- streaming

    @Test
    void streamingHoldsIncompleteCharacters() {
        Tokenizer tok = GoldenCases.tokenizer("nanbeige4");
        String text = "x\uD83E\uDD8C y"; // an emoji the vocabulary only has as bytes
        int[] ids = tok.encode(text, false);
        StreamingDecoder sd = tok.newStreamingDecoder(false);
        List<String> chunks = new ArrayList<>();
        for (int id : ids) chunks.add(sd.push(id));
        chunks.add(sd.flush());
        assertThat(String.join("", chunks)).isEqualTo(tok.decode(ids, false));
        assertThat(chunks).noneMatch(c -> c.contains("\uFFFD"));
        assertThat(chunks).contains("\uD83E\uDD8C");
    }

    // ---- stop tokens

    @Test
    void stopTokensFromConfigsAndVocabulary() {
        StopTokens qwen = GoldenCases.tokenizer("qwen3").stopTokens();
        assertThat(qwen.ids()).contains(151645, 151643);
        assertThat(qwen.isStop(151645)).isTrue();
        assertThat(qwen.isStop(198)).isFalse();
        assertThat(GoldenCases.tokenizer("granite-4.0-h").stopTokens().ids()).contains(100257);
        assertThat(GoldenCases.tokenizer("nanbeige4").stopTokens().ids()).contains(64001, 2);
    }

    @Test
    void stopTokensReadGenerationAndModelConfig(@TempDir Path dir) throws IOException {
        Files.copy(GoldenCases.dir("granite-4.0-h").resolve("tokenizer.json.gz"), dir.resolve("tokenizer.json.gz"));
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [100265, 100257]}");
        Files.writeString(dir.resolve("config.json"), "{\"text_config\": {\"eos_token_id\": 100264}}");
        StopTokens st = Tokenizer.load(dir).stopTokens();
        assertThat(st.ids()).contains(100257, 100264, 100265);
    }

    // ---- real-model anchors that the reconstructed Granite tokenizer reproduces

    @Test
    void graniteAnchorsFromTheRealModel() {
        JsonNode anchors = readAnchors();
        int checked = 0;
        for (JsonNode a : anchors.get("anchors")) {
            if (!a.get("family").asText().equals("granite-4.0-h")) continue; // the others need the real files
            Tokenizer tok = GoldenCases.tokenizer("granite-4.0-h");
            int[] prompt = GoldenCases.ints(a.get("prompt_ids"));
            assertThat(tok.encode(a.get("prompt").asText(), false)).containsExactly(prompt);
            assertThat(tok.encode(a.get("prompt").asText(), true)).containsExactly(prompt);
            assertThat(tok.decode(GoldenCases.ints(a.get("generated_ids")), false))
                    .isEqualTo(a.get("generated_text").asText());
            checked++;
        }
        assertThat(checked).isPositive();
    }

    private static JsonNode readAnchors() {
        try {
            return GoldenCases.JSON.readTree(GoldenCases.dir("qwen3").resolveSibling("anchors.real-ids.json").toFile());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    // ---- chat templates: loading and raise_exception

    @Test
    void templateRaiseBecomesInvalidInput() {
        ChatTemplate t = GoldenCases.tokenizer("qwen3.5").chatTemplate().orElseThrow();
        List<Map<String, Object>> noUser = List.of(Map.of("role", "system", "content", "You are terse."));
        assertThatThrownBy(() -> t.render(noUser, true))
                .isInstanceOf(TesseraException.InvalidInput.class)
                .hasMessageContaining("No user query found in messages.");
        List<Map<String, Object>> lateSystem = List.of(Map.of("role", "user", "content", "hi"),
                Map.of("role", "system", "content", "late"));
        assertThatThrownBy(() -> t.render(lateSystem, false))
                .isInstanceOf(TesseraException.InvalidInput.class)
                .hasMessageContaining("System message must be at the beginning.");
    }

    @Test
    void templateFromTokenizerConfigListUsesDefault(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": {\"content\": \"</s>\"},"
                + " \"chat_template\": [{\"name\": \"tool_use\", \"template\": \"T\"},"
                + " {\"name\": \"default\", \"template\": \"{% for m in messages %}{{ m.content }}{{ eos_token }}{% endfor %}\"}]}");
        ChatTemplate t = ChatTemplate.load(dir);
        assertThat(t.render(List.of(Map.of("role", "user", "content", "hi")), false)).isEqualTo("hi</s>");
        Files.writeString(dir.resolve("special_tokens_map.json"), "{\"eos_token\": \"<|eot|>\"}");
        assertThat(ChatTemplate.load(dir).render(List.of(Map.of("role", "user", "content", "hi")), false))
                .isEqualTo("hi<|eot|>");
    }
}
