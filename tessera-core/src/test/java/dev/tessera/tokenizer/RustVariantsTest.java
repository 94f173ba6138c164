package dev.tessera.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Pipeline components the golden files do not use, checked against the Rust library: each variant of
 * {@code variant-patches.json} replaces sections of a golden tokenizer.json (GPT-2-style ByteLevel with prefix
 * space and RobertaProcessing; Llama-2 legacy Prepend+Replace with BOS/EOS template; Metaspace split/always and
 * first inside a Sequence with Digits; Split String/Regex with MergedWithNext/MergedWithPrevious/Contiguous and
 * invert; Punctuation; Whitespace and WhitespaceSplit; NFKC, NFD, NFKD, Lowercase, Strip; no decoder; a regex
 * Replace and Strip stop in the decoder; added tokens with lstrip/rstrip/single_word/normalized and new ids).
 */
class RustVariantsTest {
    private static final Map<String, Tokenizer> VARIANTS = new ConcurrentHashMap<>();

    @TestFactory
    Stream<DynamicNode> variantsMatchRust() throws IOException {
        JsonNode patches = GoldenCases.JSON.readTree(resource("/tokenizer/variant-patches.json"));
        Map<String, List<JsonNode>> byVariant = new java.util.LinkedHashMap<>();
        try (var r = new BufferedReader(new InputStreamReader(resource("/tokenizer/rust-variants.jsonl"), StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (line.isBlank()) continue;
                JsonNode c = GoldenCases.JSON.readTree(line);
                byVariant.computeIfAbsent(c.get("variant").asText(), k -> new ArrayList<>()).add(c);
            }
        }
        List<DynamicNode> out = new ArrayList<>();
        for (JsonNode v : patches) {
            String name = v.get("name").asText();
            List<DynamicNode> tests = new ArrayList<>();
            List<JsonNode> cases = byVariant.getOrDefault(name, List.of());
            for (int i = 0; i < cases.size(); i++) {
                JsonNode c = cases.get(i);
                tests.add(DynamicTest.dynamicTest("#" + i, () -> {
                    Tokenizer tok = VARIANTS.computeIfAbsent(name, n -> build(v));
                    String text = c.get("text").asText();
                    int[] ids = GoldenCases.ints(c.get("ids"));
                    assertThat(tok.encode(text, false)).as("ids").containsExactly(ids);
                    assertThat(tok.encode(text, true)).as("ids with specials").containsExactly(GoldenCases.ints(c.get("ids_special")));
                    assertThat(tok.decode(ids, false)).isEqualTo(c.get("decoded").asText());
                    assertThat(tok.decode(ids, true)).isEqualTo(c.get("decoded_skip_special").asText());
                    StreamingDecoder sd = tok.newStreamingDecoder(false);
                    StringBuilder sb = new StringBuilder();
                    for (int id : ids) sb.append(sd.push(id));
                    assertThat(sb.append(sd.flush()).toString()).isEqualTo(c.get("decoded").asText());
                }));
            }
            out.add(DynamicContainer.dynamicContainer(name, tests));
        }
        return out.stream();
    }

    /** The golden tokenizer.json of the base folder with the variant's sections replaced. */
    private static Tokenizer build(JsonNode v) {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(
                GoldenCases.dir(v.get("base").asText()).resolve("tokenizer.json.gz")))) {
            ObjectNode root = (ObjectNode) GoldenCases.JSON.readTree(in);
            if (v.has("patch")) {
                for (Iterator<Map.Entry<String, JsonNode>> it = v.get("patch").properties().iterator(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    root.set(e.getKey(), e.getValue());
                }
            }
            ArrayNode added = (ArrayNode) root.get("added_tokens");
            for (JsonNode a : v.path("patch_added")) {
                if (a.has("new")) {
                    added.add(a.get("new"));
                    continue;
                }
                for (JsonNode t : added) {
                    if (t.get("content").asText().equals(a.get("content").asText())) {
                        a.properties().forEach(e -> ((ObjectNode) t).set(e.getKey(), e.getValue()));
                    }
                }
            }
            return Tokenizer.fromJson(GoldenCases.JSON.writeValueAsString(root));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static InputStream resource(String name) {
        return RustVariantsTest.class.getResourceAsStream(name);
    }
}
