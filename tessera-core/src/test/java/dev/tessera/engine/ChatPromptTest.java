package dev.tessera.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.testing.Golden;
import dev.tessera.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What conversation reuse rests on, checked on the real chat templates: the next turn's prompt starts with the
 * tokens the previous turn marked (its conversation before the generation prompt), whether or not the template
 * renders the previous reply as it was generated.
 */
class ChatPromptTest {
    @Test
    void theNextTurnRepeatsTheMarkedConversation() {
        for (String name : new String[] {"qwen3.5", "qwen3", "granite-4.0-h", "nanbeige4"}) {
            Tokenizer tok = Tokenizer.load(Golden.dir("tokenizer").resolve(name));
            for (Map<String, Object> kwargs : List.<Map<String, Object>>of(Map.of(), Map.of("enable_thinking", false))) {
                List<Map<String, Object>> messages = new ArrayList<>();
                messages.add(ChatPrompt.message("system", "You are terse."));
                messages.add(ChatPrompt.message("user", "What is 2 + 2?"));
                ChatPrompt.Reply first = ChatPrompt.encodeReply(tok, messages, kwargs);
                assertThat(first.conversationTokens()).as(name).isBetween(1, first.ids().length);
                // The generation prompt is short: the mark sits just before it.
                assertThat(first.ids().length - first.conversationTokens()).as(name + " " + kwargs).isLessThanOrEqualTo(12);
                // The reply as a model would generate it, thinking included where the template asks for it.
                String reply = name.startsWith("qwen") && kwargs.isEmpty() ? "<think>\nAdd them.\n</think>\n\n4" : "4";
                messages.add(ChatPrompt.message("assistant", reply));
                messages.add(ChatPrompt.message("user", "And 3 + 3?"));
                int[] next = ChatPrompt.encode(tok, messages, kwargs);
                int m = first.conversationTokens();
                assertThat(Arrays.copyOf(next, m)).as("%s %s", name, kwargs).containsExactly(Arrays.copyOf(first.ids(), m));
            }
        }
    }

    @Test
    void toolSpecificationsAndToolTurnsRenderOnEveryTemplate() throws Exception {
        var json = dev.tessera.io.Json.MAPPER;
        @SuppressWarnings("unchecked")
        List<Object> tools = json.readValue("""
                [{"type": "function", "function": {"name": "get_weather", "description": "Weather of a city",
                  "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
                """, List.class);
        @SuppressWarnings("unchecked")
        Map<String, Object> call = json.readValue("""
                {"role": "assistant", "content": "", "tool_calls": [{"id": "c1", "type": "function",
                  "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]}
                """, Map.class);
        for (String name : new String[] {"qwen3.5", "qwen3", "granite-4.0-h", "nanbeige4"}) {
            Tokenizer tok = Tokenizer.load(Golden.dir("tokenizer").resolve(name));
            List<Map<String, Object>> messages = new ArrayList<>();
            messages.add(ChatPrompt.message("user", "Weather in Paris?"));
            messages.add(call);
            Map<String, Object> result = ChatPrompt.message("tool", "18 C");
            result.put("tool_call_id", "c1");
            messages.add(result);
            String rendered = tok.decode(ChatPrompt.encode(tok, messages, Map.of("tools", tools)), false);
            assertThat(rendered).as(name).contains("get_weather").contains("Weather in Paris?").contains("18 C");
        }
    }
}
