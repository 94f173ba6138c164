package dev.tessera.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Random texts (mixed scripts, marks, emoji sequences, odd whitespace, control chars, inline and partial special
 * tokens, literal ▁/Ġ/&lt;0x41&gt;) encoded and decoded by the Rust tokenizers library over the six golden
 * tokenizer files (generator and oracle script beside the resource). Complements the goldens with texts nobody
 * chose by hand.
 */
class RustDifferentialTest {

    @TestFactory
    Stream<DynamicTest> randomTextsMatchRust() throws IOException {
        List<JsonNode> rows = new ArrayList<>();
        try (var in = getClass().getResourceAsStream("/tokenizer/rust-fuzz.jsonl");
                var r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (!line.isBlank()) rows.add(GoldenCases.JSON.readTree(line));
            }
        }
        List<DynamicTest> tests = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            JsonNode c = rows.get(i);
            String folder = c.get("folder").asText();
            tests.add(DynamicTest.dynamicTest(folder + " #" + i, () -> {
                Tokenizer tok = GoldenCases.tokenizer(folder);
                String text = c.get("text").asText();
                int[] ids = GoldenCases.ints(c.get("ids"));
                assertThat(tok.encode(text, false)).containsExactly(ids);
                assertThat(tok.encode(text, true)).containsExactly(GoldenCases.ints(c.get("ids_special")));
                assertThat(tok.decode(ids, false)).isEqualTo(c.get("decoded").asText());
                assertThat(tok.decode(ids, true)).isEqualTo(c.get("decoded_skip_special").asText());
            }));
        }
        return tests.stream();
    }
}
