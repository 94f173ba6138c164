package dev.tessera.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Every golden {@code chat.jsonl} case: byte-identical rendering and the same ids. */
class ChatTemplateGoldenTest {

    @TestFactory
    Stream<DynamicNode> render() {
        List<DynamicNode> folders = new ArrayList<>();
        for (String folder : GoldenCases.FOLDERS) {
            List<JsonNode> cases = GoldenCases.lines(folder, "chat.jsonl");
            if (cases.isEmpty()) continue;
            List<DynamicNode> tests = new ArrayList<>();
            for (JsonNode c : cases) {
                tests.add(DynamicTest.dynamicTest(c.get("name").asText(), () -> {
                    Tokenizer tok = GoldenCases.tokenizer(folder);
                    String rendered = render(tok, c);
                    assertThat(rendered).as("rendered").isEqualTo(c.get("rendered").asText());
                    int[] ids = tok.encode(rendered, c.path("add_special_tokens").asBoolean(false));
                    assertThat(ids).as("ids").containsExactly(GoldenCases.ints(c.get("ids")));
                }));
            }
            folders.add(DynamicContainer.dynamicContainer(folder, tests));
        }
        return folders.stream();
    }

    static String render(Tokenizer tok, JsonNode c) {
        List<Map<String, Object>> messages =
                GoldenCases.JSON.convertValue(c.get("messages"), new TypeReference<List<Map<String, Object>>>() {});
        Map<String, Object> kwargs = new LinkedHashMap<>();
        if (c.has("special_tokens")) {
            kwargs.putAll(GoldenCases.JSON.convertValue(c.get("special_tokens"), new TypeReference<Map<String, Object>>() {}));
        }
        kwargs.putAll(GoldenCases.JSON.convertValue(c.get("kwargs"), new TypeReference<Map<String, Object>>() {}));
        return tok.chatTemplate().orElseThrow().render(messages, kwargs);
    }
}
