package dev.tessera.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tessera.engine.Completer;
import dev.tessera.io.Json;
import dev.tessera.model.LoadOptions;
import dev.tessera.model.Model;
import dev.tessera.model.Models;
import dev.tessera.testing.TinyChatModel;
import dev.tessera.tokenizer.Tokenizer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP API end to end on a tiny random model with the real Qwen3 tokenizer and chat template. */
@org.junit.jupiter.api.Timeout(120)
class OpenAiServerTest {
    @TempDir
    static Path dir;
    static Model model;
    static Tokenizer tokenizer;
    static Completer completer;
    static OpenAiServer server;
    static String base;
    static final List<String> LOG = new CopyOnWriteArrayList<>();
    /** HTTP/1.1: the default would first try an h2c upgrade, which holds concurrent requests back. */
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() {
        Path checkpoint = TinyChatModel.write(dir);
        model = Models.load(checkpoint.toString(), LoadOptions.defaults().withThreads(1));
        tokenizer = Tokenizer.load(checkpoint);
        completer = new Completer(model, tokenizer, 16, Completer.endOfSequence(model, tokenizer));
        server = new OpenAiServer(completer, new OpenAiServer.Options("127.0.0.1", 0, "tiny", 8, 0, 1, 0, 0,
                Map.of("enable_thinking", false), null, 1), LOG::add);
        base = "http://127.0.0.1:" + server.start();
    }

    @AfterAll
    static void stop() {
        server.close();
        model.close();
    }

    static HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .timeout(java.time.Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The data payloads of a server-sent event stream, in order. */
    static List<String> events(String body) {
        List<String> out = new ArrayList<>();
        for (String block : body.split("\n\n")) {
            if (!block.isBlank()) {
                // One line per event: clients read "data: " lines, so a payload must not span lines.
                assertThat(block).startsWith("data: ").doesNotContain("\n");
                out.add(block.substring("data: ".length()));
            }
        }
        return out;
    }

    @Test
    void chatCompletionAnswersWithUsageAndTheTemplatedPrompt() throws Exception {
        String messages = "[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"Hello there\"}]";
        HttpResponse<String> r = post("/v1/chat/completions", "{\"model\":\"tiny\",\"messages\":" + messages
                + ",\"max_tokens\":5,\"temperature\":0}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode j = Json.MAPPER.readTree(r.body());
        assertThat(j.path("object").asText()).isEqualTo("chat.completion");
        assertThat(j.path("model").asText()).isEqualTo("tiny");
        assertThat(j.path("choices").get(0).path("message").path("role").asText()).isEqualTo("assistant");
        String finish = j.path("choices").get(0).path("finish_reason").asText();
        assertThat(finish).isIn("stop", "length");
        int completion = j.path("usage").path("completion_tokens").asInt();
        assertThat(completion).isBetween(1, 5);
        if (finish.equals("length")) {
            assertThat(completion).isEqualTo(5);
        }
        // The prompt is the chat template's rendering (thinking off from the server's default kwargs).
        int[] expected = dev.tessera.engine.ChatPrompt.encode(tokenizer, List.of(
                dev.tessera.engine.ChatPrompt.message("system", "Be brief."),
                dev.tessera.engine.ChatPrompt.message("user", "Hello there")), Map.of("enable_thinking", false));
        assertThat(j.path("usage").path("prompt_tokens").asInt()).isEqualTo(expected.length);
        assertThat(j.path("usage").path("total_tokens").asInt()).isEqualTo(expected.length + completion);

        // Greedy is deterministic: the same request gives the same text, and the streamed deltas add up to it.
        HttpResponse<String> again = post("/v1/chat/completions", "{\"messages\":" + messages + ",\"max_tokens\":5,\"temperature\":0}");
        assertThat(Json.MAPPER.readTree(again.body()).path("choices").get(0).path("message").path("content").asText())
                .isEqualTo(j.path("choices").get(0).path("message").path("content").asText());
        HttpResponse<String> s = post("/v1/chat/completions", "{\"messages\":" + messages
                + ",\"max_tokens\":5,\"temperature\":0,\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
        assertThat(s.statusCode()).isEqualTo(200);
        assertThat(s.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
        List<String> ev = events(s.body());
        assertThat(ev.getLast()).isEqualTo("[DONE]");
        JsonNode first = Json.MAPPER.readTree(ev.getFirst());
        assertThat(first.path("object").asText()).isEqualTo("chat.completion.chunk");
        assertThat(first.path("choices").get(0).path("delta").path("role").asText()).isEqualTo("assistant");
        StringBuilder text = new StringBuilder();
        String streamedFinish = null;
        JsonNode usage = null;
        for (String e : ev.subList(1, ev.size() - 1)) {
            JsonNode c = Json.MAPPER.readTree(e);
            if (c.path("choices").isEmpty()) {
                usage = c.path("usage");
                continue;
            }
            text.append(c.path("choices").get(0).path("delta").path("content").asText(""));
            if (!c.path("choices").get(0).path("finish_reason").isNull()) {
                streamedFinish = c.path("choices").get(0).path("finish_reason").asText();
            }
        }
        assertThat(text.toString()).isEqualTo(j.path("choices").get(0).path("message").path("content").asText());
        assertThat(streamedFinish).isEqualTo(finish);
        assertThat(usage).isNotNull();
        assertThat(usage.path("completion_tokens").asInt()).isEqualTo(completion);
    }

    @Test
    void aPromptThatExtendsTheLastOneReusesTheModelState() throws Exception {
        int[] first = tokenizer.encode("Count with me: one, two,", true);
        int[] next = java.util.Arrays.copyOf(first, first.length + 2);
        next[first.length] = tokenizer.encode(" three", false)[0];
        next[first.length + 1] = tokenizer.encode(",", false)[0];
        post("/v1/completions", "{\"prompt\":" + Json.MAPPER.writeValueAsString(first) + ",\"max_tokens\":1}");
        String body = "{\"prompt\":" + Json.MAPPER.writeValueAsString(next) + ",\"max_tokens\":4,\"temperature\":0}";
        JsonNode reused = Json.MAPPER.readTree(post("/v1/completions", body).body());
        assertThat(reused.path("usage").path("prompt_tokens_details").path("cached_tokens").asInt()).isEqualTo(first.length);
        // The same answer as from a fresh state (an unrelated prompt resets it).
        post("/v1/completions", "{\"prompt\":\"unrelated\",\"max_tokens\":1}");
        JsonNode fresh = Json.MAPPER.readTree(post("/v1/completions", body).body());
        assertThat(fresh.path("usage").path("prompt_tokens_details").path("cached_tokens").asInt()).isZero();
        assertThat(fresh.path("choices").get(0).path("text").asText()).isEqualTo(reused.path("choices").get(0).path("text").asText());
    }

    @Test
    void theNextChatTurnReusesTheConversationEvenWhenTheTemplateRendersTheReplyDifferently() throws Exception {
        // Qwen3's template (thinking off) ends a prompt with an empty think block that earlier turns do not repeat:
        // the server marks the conversation before the generation prompt and rewinds there.
        String user = "{\"role\":\"user\",\"content\":\"Count with me: one\"}";
        JsonNode a = Json.MAPPER.readTree(post("/v1/chat/completions", "{\"messages\":[" + user
                + "],\"max_tokens\":3,\"temperature\":0}").body());
        String reply = a.path("choices").get(0).path("message").path("content").asText();
        String next = "{\"messages\":[" + user + ",{\"role\":\"assistant\",\"content\":" + Json.MAPPER.writeValueAsString(reply)
                + "},{\"role\":\"user\",\"content\":\"two\"}],\"max_tokens\":3,\"temperature\":0}";
        JsonNode b = Json.MAPPER.readTree(post("/v1/chat/completions", next).body());
        int[] conversation = dev.tessera.engine.ChatPrompt.encode(tokenizer, List.of(
                dev.tessera.engine.ChatPrompt.message("user", "Count with me: one")), Map.of("add_generation_prompt", false));
        assertThat(b.path("usage").path("prompt_tokens_details").path("cached_tokens").asInt()).isEqualTo(conversation.length);
        post("/v1/completions", "{\"prompt\":\"unrelated\",\"max_tokens\":1}");
        JsonNode c = Json.MAPPER.readTree(post("/v1/chat/completions", next).body());
        assertThat(c.path("usage").path("prompt_tokens_details").path("cached_tokens").asInt()).isZero();
        assertThat(c.path("choices").get(0).path("message").path("content").asText())
                .isEqualTo(b.path("choices").get(0).path("message").path("content").asText());
    }

    @Test
    void completionsTakeTextOrIdsAndHonourStopStrings() throws Exception {
        HttpResponse<String> r = post("/v1/completions", "{\"prompt\":\"The capital of France is\",\"max_tokens\":6,\"temperature\":0}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode j = Json.MAPPER.readTree(r.body());
        assertThat(j.path("object").asText()).isEqualTo("text_completion");
        String text = j.path("choices").get(0).path("text").asText();
        int[] ids = tokenizer.encode("The capital of France is", true);
        JsonNode byIds = Json.MAPPER.readTree(post("/v1/completions", "{\"prompt\":" + Json.MAPPER.writeValueAsString(ids)
                + ",\"max_tokens\":6,\"temperature\":0}").body());
        assertThat(byIds.path("choices").get(0).path("text").asText()).isEqualTo(text);
        JsonNode echoed = Json.MAPPER.readTree(post("/v1/completions", "{\"prompt\":\"The capital of France is\",\"echo\":true,"
                + "\"max_tokens\":6,\"temperature\":0}").body());
        assertThat(echoed.path("choices").get(0).path("text").asText()).isEqualTo("The capital of France is" + text);
        // A stop string cuts the text before it and ends with finish_reason "stop".
        assertThat(text).hasSizeGreaterThanOrEqualTo(3);
        String stop = text.substring(1, 3);
        JsonNode cut = Json.MAPPER.readTree(post("/v1/completions", "{\"prompt\":\"The capital of France is\",\"max_tokens\":6,"
                + "\"temperature\":0,\"stop\":[\"never appears\"," + Json.MAPPER.writeValueAsString(stop) + "]}").body());
        assertThat(cut.path("choices").get(0).path("text").asText()).isEqualTo(text.substring(0, text.indexOf(stop)));
        assertThat(cut.path("choices").get(0).path("finish_reason").asText()).isEqualTo("stop");
        HttpResponse<String> s = post("/v1/completions", "{\"prompt\":\"The capital of France is\",\"max_tokens\":6,\"temperature\":0,\"stream\":true}");
        StringBuilder streamed = new StringBuilder();
        List<String> ev = events(s.body());
        assertThat(ev.getLast()).isEqualTo("[DONE]");
        for (String e : ev.subList(0, ev.size() - 1)) {
            streamed.append(Json.MAPPER.readTree(e).path("choices").get(0).path("text").asText());
        }
        assertThat(streamed.toString()).isEqualTo(text);
    }

    @Test
    void seededSamplingIsReproducible() throws Exception {
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":6,\"temperature\":1.0,\"seed\":42}";
        String a = Json.MAPPER.readTree(post("/v1/chat/completions", body).body()).path("choices").get(0).path("message").path("content").asText();
        String b = Json.MAPPER.readTree(post("/v1/chat/completions", body).body()).path("choices").get(0).path("message").path("content").asText();
        assertThat(b).isEqualTo(a);
    }

    @Test
    void modelsAndHealth() throws Exception {
        JsonNode models = Json.MAPPER.readTree(get("/v1/models").body());
        assertThat(models.path("data").get(0).path("id").asText()).isEqualTo("tiny");
        assertThat(get("/v1/models/tiny").statusCode()).isEqualTo(200);
        assertThat(get("/v1/models/other").statusCode()).isEqualTo(404);
        assertThat(Json.MAPPER.readTree(get("/health").body()).path("status").asText()).isEqualTo("ok");
    }

    @Test
    void badRequestsGetOpenAiErrorsAndLeaveTheServerWorking() throws Exception {
        assertError(post("/v1/chat/completions", "{not json"), 400, null, "not valid JSON");
        assertError(post("/v1/chat/completions", ""), 400, null, "empty");
        assertError(post("/v1/chat/completions", "[1,2]"), 400, null, "JSON object");
        assertError(post("/v1/chat/completions", "{\"messages\":[]}"), 400, "messages", "non-empty");
        assertError(post("/v1/chat/completions", "{\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]}"), 400, "messages[0].role", "one of");
        assertError(post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\"}]}]}"),
                400, "messages[0].content", "text");
        assertError(post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"n\":2}"), 400, "n", "1");
        assertError(post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":3}"), 400, "temperature", "between");
        assertError(post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":\"many\"}"), 400, "max_tokens", "integer");
        assertError(post("/v1/completions", "{\"prompt\":[1, 99999999]}"), 400, null, "99999999");
        HttpResponse<String> tooLong = post("/v1/completions", "{\"prompt\":" + Json.MAPPER.writeValueAsString("word ".repeat(600)) + "}");
        assertError(tooLong, 400, "prompt", "context");
        assertThat(Json.MAPPER.readTree(tooLong.body()).path("error").path("code").asText()).isEqualTo("context_length_exceeded");
        // Streamed or not, it is refused before anything is sent.
        HttpResponse<String> tooLongStreamed = post("/v1/chat/completions", "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":"
                + Json.MAPPER.writeValueAsString("word ".repeat(600)) + "}]}");
        assertError(tooLongStreamed, 400, "messages", "context");
        assertError(post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]} trailing"), 400, null, "JSON");
        assertError(post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"chat_template_kwargs\":{\"messages\":[]}}"),
                400, "chat_template_kwargs.messages", "own field");
        assertError(post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stop\":" + Json.MAPPER.writeValueAsString("s".repeat(5000)) + "}"),
                400, "stop", "characters");
        assertError(post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_completion_tokens\":0}"),
                400, "max_completion_tokens", "at least 1");
        assertThat(get("/v1/chat/completions").headers().firstValue("allow")).hasValue("POST");
        assertError(get("/v1/chat/completions"), 405, null, "POST");
        assertError(get("/v2/nothing"), 404, null, "no endpoint");
        byte[] invalidUtf8 = {'{', '"', 'p', 'r', 'o', 'm', 'p', 't', '"', ':', '"', (byte) 0xC3, '"', '}'};
        HttpResponse<String> bad = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/completions"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(invalidUtf8)).build(), HttpResponse.BodyHandlers.ofString());
        assertError(bad, 400, null, "UTF-8");
        // Still serving.
        assertThat(post("/v1/completions", "{\"prompt\":\"ok\",\"max_tokens\":1}").statusCode()).isEqualTo(200);
    }

    @Test
    void whatSdksSendIsAccepted() throws Exception {
        // Fields clients send with their default or neutral values, a tool-call round trip (assistant content null),
        // top_p 0 from a slider, and a CORS preflight.
        String body = "{\"model\":\"tiny\",\"messages\":["
                + "{\"role\":\"developer\",\"content\":\"Use tools.\"},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Weather in Paris?\"}]},"
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\","
                + "\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"18 C\"}],"
                + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\"}}}],"
                + "\"tool_choice\":\"auto\",\"n\":1,\"logprobs\":false,\"top_logprobs\":null,\"stream_options\":null,"
                + "\"presence_penalty\":0,\"frequency_penalty\":0,\"logit_bias\":{},\"user\":\"u\",\"max_tokens\":null,"
                + "\"response_format\":{\"type\":\"text\"},\"top_p\":0,\"temperature\":1,\"max_completion_tokens\":2}";
        HttpResponse<String> r = post("/v1/chat/completions", body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        // The call's arguments (a JSON string in the API) reach the template as an object, as transformers passes
        // them: Qwen3's template prints an object with tojson ({"city": "Paris"}) but a string as sent ({"city":"Paris"}).
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> asTransformersSeesIt = Json.MAPPER.readValue("""
                [{"role": "system", "content": "Use tools."}, {"role": "user", "content": "Weather in Paris?"},
                 {"role": "assistant", "content": "", "tool_calls": [{"id": "c1", "type": "function",
                   "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
                 {"role": "tool", "tool_call_id": "c1", "content": "18 C"}]""", List.class);
        @SuppressWarnings("unchecked")
        List<Object> tools = Json.MAPPER.readValue("""
                [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]""", List.class);
        int[] expected = dev.tessera.engine.ChatPrompt.encode(tokenizer, asTransformersSeesIt,
                Map.of("enable_thinking", false, "tools", tools));
        assertThat(Json.MAPPER.readTree(r.body()).path("usage").path("prompt_tokens").asInt()).isEqualTo(expected.length);
        ApiRequests.Parsed parsed = ApiRequests.chat(Json.MAPPER.readTree(body), tokenizer, new ApiRequests.Defaults(8, 0, 1, 0, 0,
                Map.of("enable_thinking", false), new java.util.concurrent.atomic.AtomicLong()));
        assertThat(parsed.prompt()).containsExactly(expected);
        assertThat(Json.MAPPER.readTree(r.body()).path("usage").path("completion_tokens").asInt()).isBetween(1, 2);
        HttpResponse<String> pre = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(pre.statusCode()).isEqualTo(204);
        assertThat(pre.headers().firstValue("access-control-allow-origin")).hasValue("*");
    }

    @Test
    void requestsBeyondTheQueueAreTurnedAwayWithRetryAfter() throws Exception {
        // Hold the model with a generation that waits for a latch; one HTTP request may queue (max-queue 1)...
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch holding = new java.util.concurrent.CountDownLatch(1);
        Thread holder = new Thread(() -> completer.complete(tokenizer.encode("hold", false), Completer.Params.greedy(50), piece -> {
            try {
                holding.countDown();
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return true;
        }));
        holder.start();
        assertThat(holding.await(60, java.util.concurrent.TimeUnit.SECONDS)).as("the holder produced text").isTrue();
        try {
            String body = "{\"prompt\":\"queued\",\"max_tokens\":1}";
            var first = HTTP.sendAsync(HttpRequest.newBuilder(URI.create(base + "/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            var second = HTTP.sendAsync(HttpRequest.newBuilder(URI.create(base + "/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            for (int i = 0; i < 3000 && server.inFlight() < 2 && !first.isDone() && !second.isDone(); i++) {
                Thread.sleep(10);
            }
            assertThat(server.inFlight()).as("both requests queued behind the held model").isEqualTo(2);
            // ...the one after it is told to come back, and the cheap endpoints still answer.
            HttpResponse<String> third = post("/v1/completions", body);
            assertThat(third.statusCode()).as(third.body()).isEqualTo(503);
            assertThat(third.headers().firstValue("retry-after")).isPresent();
            assertThat(get("/health").statusCode()).isEqualTo(200);
            release.countDown();
            assertThat(first.get().statusCode()).isEqualTo(200);
            assertThat(second.get().statusCode()).isEqualTo(200);
        } finally {
            release.countDown();
            holder.join();
        }
    }

    static void assertError(HttpResponse<String> r, int status, String param, String messagePart) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        JsonNode e = Json.MAPPER.readTree(r.body()).path("error");
        assertThat(e.path("message").asText()).contains(messagePart);
        assertThat(e.path("type").asText()).isNotEmpty();
        if (param != null) {
            assertThat(e.path("param").asText()).isEqualTo(param);
        }
    }
}
