package dev.tessera.tokenizer.jinja;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.TesseraException;
import dev.tessera.testing.Golden;
import dev.tessera.tokenizer.ChatTemplate;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Renders recorded from Python Jinja2 3.1.6 configured like transformers (generators beside the resources):
 * random conversations (tool calls with nested/float/unicode arguments, content parts, reasoning, documents,
 * thinking flags) through the four golden chat templates, Llama 3 / Gemma / Mistral-style templates plus a
 * filter and operator mix, and 500 random expressions. Output must be identical; where Jinja2 raised, we must
 * raise too.
 */
class Jinja2DifferentialTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};
    private static final TypeReference<List<Map<String, Object>>> MESSAGES = new TypeReference<>() {};

    private static List<JsonNode> resource(String name) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        try (var in = Jinja2DifferentialTest.class.getResourceAsStream("/jinja/" + name);
                var r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (!line.isBlank()) out.add(JSON.readTree(line));
            }
        }
        return out;
    }

    @TestFactory
    Stream<DynamicTest> goldenTemplatesOnRandomConversations() throws IOException {
        Map<String, ChatTemplate> templates = new HashMap<>();
        return resource("jinja2-chat-templates.jsonl").stream().map(c -> DynamicTest.dynamicTest(c.get("name").asText(), () -> {
            String family = c.get("family").asText();
            ChatTemplate t = templates.computeIfAbsent(family,
                    f -> ChatTemplate.load(Golden.dir("tokenizer").resolve(f)));
            List<Map<String, Object>> messages = JSON.convertValue(c.get("messages"), MESSAGES);
            Map<String, Object> kwargs = JSON.convertValue(c.get("kwargs"), MAP);
            if (c.get("error").isNull()) {
                assertThat(t.render(messages, kwargs)).isEqualTo(c.get("rendered").asText());
            } else {
                var thrown = assertThatThrownBy(() -> t.render(messages, kwargs)).isInstanceOf(TesseraException.InvalidInput.class);
                if (c.get("error").asText().startsWith("No user query")) thrown.hasMessageContaining(c.get("error").asText());
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> randomExpressions() throws IOException {
        List<JsonNode> rows = resource("jinja2-expressions.jsonl");
        Map<String, Object> ctx = JSON.convertValue(rows.get(0).get("context"), MAP);
        return rows.subList(1, rows.size()).stream().map(c -> DynamicTest.dynamicTest(c.get("template").asText(),
                () -> assertThat(JinjaTemplate.parse(c.get("template").asText()).render(ctx))
                        .isEqualTo(c.get("rendered").asText())));
    }

    @TestFactory
    Stream<DynamicTest> genericTemplates() throws IOException {
        return resource("jinja2-generic.jsonl").stream().map(c -> DynamicTest.dynamicTest(c.get("name").asText(), () -> {
            JinjaTemplate t = JinjaTemplate.parse(c.get("template").asText());
            Map<String, Object> ctx = JSON.convertValue(c.get("context"), MAP);
            if (c.get("error").isNull()) {
                assertThat(t.render(ctx)).isEqualTo(c.get("rendered").asText());
            } else {
                assertThatThrownBy(() -> t.render(ctx)).hasMessageContaining(c.get("error").asText());
            }
        }));
    }
}
