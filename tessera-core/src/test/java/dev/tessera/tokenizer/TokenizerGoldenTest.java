package dev.tessera.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Every case of every golden {@code cases.jsonl}: ids, decode, decode without specials, streaming decode. */
class TokenizerGoldenTest {

    @TestFactory
    Stream<DynamicNode> encode() {
        return perCase((tok, c) -> {
            int[] ids = tok.encode(c.get("text").asText(), c.get("add_special_tokens").asBoolean());
            assertThat(ids).as("ids").containsExactly(GoldenCases.ints(c.get("ids")));
        });
    }

    @TestFactory
    Stream<DynamicNode> decode() {
        return perCase((tok, c) -> {
            int[] ids = GoldenCases.ints(c.get("ids"));
            assertThat(tok.decode(ids, false)).as("decoded").isEqualTo(c.get("decoded").asText());
            assertThat(tok.decode(ids, true)).as("decoded_skip_special").isEqualTo(c.get("decoded_skip_special").asText());
        });
    }

    @TestFactory
    Stream<DynamicNode> streamingDecodeEqualsFullDecode() {
        return perCase((tok, c) -> {
            int[] ids = GoldenCases.ints(c.get("ids"));
            for (boolean skip : new boolean[] {false, true}) {
                StreamingDecoder sd = tok.newStreamingDecoder(skip);
                StringBuilder sb = new StringBuilder();
                for (int id : ids) {
                    String chunk = sd.push(id);
                    if (!chunk.isEmpty()) {
                        assertThat(Character.isHighSurrogate(chunk.charAt(chunk.length() - 1)))
                                .as("chunk must not end inside a surrogate pair").isFalse();
                    }
                    sb.append(chunk);
                }
                sb.append(sd.flush());
                assertThat(sb.toString()).as("stream skip=" + skip).isEqualTo(tok.decode(ids, skip));
            }
        });
    }

    interface CaseCheck {
        void check(Tokenizer tok, JsonNode c);
    }

    private static Stream<DynamicNode> perCase(CaseCheck check) {
        List<DynamicNode> folders = new ArrayList<>();
        for (String folder : GoldenCases.FOLDERS) {
            List<DynamicNode> tests = new ArrayList<>();
            for (JsonNode c : GoldenCases.lines(folder, "cases.jsonl")) {
                tests.add(DynamicTest.dynamicTest(GoldenCases.caseName(c),
                        () -> check.check(GoldenCases.tokenizer(folder), c)));
            }
            folders.add(DynamicContainer.dynamicContainer(folder, tests));
        }
        return folders.stream();
    }
}
