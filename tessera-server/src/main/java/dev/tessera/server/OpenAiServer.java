package dev.tessera.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.TesseraException;
import dev.tessera.engine.Completer;
import dev.tessera.io.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The OpenAI-compatible HTTP API over one model (Jetty): {@code GET /v1/models}, {@code POST /v1/chat/completions},
 * {@code POST /v1/completions} (both with {@code "stream": true} as server-sent events), and {@code GET /health}.
 * Requests run one at a time on the model (the others wait their turn); a conversation that continues the previous
 * request's tokens reuses the model state instead of prefilling it again ({@code usage.prompt_tokens_details.cached_tokens}).
 * Errors are OpenAI error objects with a message a user can act on.
 */
public final class OpenAiServer implements AutoCloseable {
    /** Larger bodies are refused (413): a whole context of text is far smaller. */
    static final int MAX_BODY_BYTES = 4 << 20;

    /** How the server runs: where it listens, the name it reports, the defaults of omitted request fields. */
    /**
     * @param seed first seed given to requests without one (each takes the next), or null for a random start
     * @param maxQueue generation requests allowed to wait while one runs; more get 503 with Retry-After
     */
    public record Options(String host, int port, String modelId, int defaultMaxTokens, double temperature, double topP,
                          int topK, double minP, java.util.Map<String, Object> templateKwargs, Long seed, int maxQueue) {}

    /** One line per JSON value: a server-sent event's data must not span lines. */
    private static final ObjectWriter JSON = Json.MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT);
    /** A body is one JSON value: anything after it is an error, not ignored. */
    private static final com.fasterxml.jackson.databind.ObjectReader STRICT =
            Json.MAPPER.reader().with(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final Completer completer;
    private final Options options;
    private final ApiRequests.Defaults defaults;
    private final Consumer<String> log;
    private final long created = System.currentTimeMillis() / 1000;
    private final Server server;
    private final ServerConnector connector;
    /** Generation requests running or waiting. */
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean closing;

    /** @param log receives one line per request (and the errors); may be {@code s -> {}} */
    public OpenAiServer(Completer completer, Options options, Consumer<String> log) {
        this.completer = completer;
        this.options = options;
        this.defaults = new ApiRequests.Defaults(options.defaultMaxTokens(), options.temperature(), options.topP(),
                options.topK(), options.minP(), options.templateKwargs() == null ? java.util.Map.of() : options.templateKwargs(),
                new AtomicLong(options.seed() != null ? options.seed() : System.nanoTime()));
        this.log = log;
        // Waiting generations each hold a thread; the spare ones keep /health and /v1/models answering.
        QueuedThreadPool threads = new QueuedThreadPool(options.maxQueue() + 16, 2);
        threads.setName("tessera-http");
        threads.setDaemon(true);
        this.server = new Server(threads);
        this.connector = new ServerConnector(server, 1, 1);
        connector.setHost(options.host());
        connector.setPort(options.port());
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                serve(request, response, callback);
                return true;
            }
        });
    }

    /** Starts listening; returns the port (useful with port 0). */
    public int start() {
        try {
            server.start();
        } catch (IOException e) {
            throw new TesseraException.InvalidInput("cannot listen on " + options.host() + ":" + options.port() + ": "
                    + e.getMessage() + " (is another server using the port? pick one with --port)");
        } catch (Exception e) {
            throw new TesseraException("the HTTP server did not start: " + e.getMessage(), e);
        }
        return connector.getLocalPort();
    }

    /** Generation requests running or waiting (for tests). */
    int inFlight() {
        return inFlight.get();
    }

    /** Blocks until the server stops. */
    public void join() throws InterruptedException {
        server.join();
    }

    /** Stops listening; a generation in progress ends at its next token (its client sees the stream cut). */
    @Override
    public void close() {
        closing = true;
        try {
            server.stop();
        } catch (Exception e) {
            log.accept("error while stopping the server: " + e.getMessage());
        }
        completer.close();
    }

    private void serve(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        String method = request.getMethod();
        long t0 = System.nanoTime();
        // Browser front-ends call local servers from another origin.
        response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_ORIGIN, "*");
        if (method.equals("OPTIONS")) {
            response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS");
            response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_HEADERS, "Content-Type, Authorization");
            response.setStatus(204);
            callback.succeeded();
            return;
        }
        try {
            switch (path) {
                case "/health", "/v1/health" -> {
                    allow(method, "GET");
                    writeJson(response, callback, 200, Json.MAPPER.createObjectNode().put("status", "ok"));
                }
                case "/v1/models" -> {
                    allow(method, "GET");
                    ObjectNode list = Json.MAPPER.createObjectNode().put("object", "list");
                    list.putArray("data").add(modelCard());
                    writeJson(response, callback, 200, list);
                }
                case "/v1/chat/completions" -> {
                    allow(method, "POST");
                    JsonNode body = readJson(request);
                    ApiRequests.Parsed p = ApiRequests.chat(body, completer.tokenizer(), defaults);
                    queued(response, callback, p, true, t0);
                }
                case "/v1/completions" -> {
                    allow(method, "POST");
                    JsonNode body = readJson(request);
                    ApiRequests.Parsed p = ApiRequests.completion(body, completer.tokenizer(), defaults);
                    queued(response, callback, p, false, t0);
                }
                default -> {
                    if (path.equals("/v1/models/" + options.modelId())) {
                        allow(method, "GET");
                        writeJson(response, callback, 200, modelCard());
                    } else if (path.startsWith("/v1/models/")) {
                        throw new ApiError(404, "invalid_request_error", "model", "model_not_found",
                                "no model '" + path.substring("/v1/models/".length()) + "' here; this server runs '" + options.modelId() + "'");
                    } else {
                        throw new ApiError(404, "invalid_request_error", null, "not_found", "no endpoint " + method + " " + path
                                + " (try POST /v1/chat/completions, POST /v1/completions or GET /v1/models)");
                    }
                }
            }
        } catch (ApiError e) {
            log.accept(method + " " + path + " -> " + e.status + ": " + e.getMessage());
            if (e.allow != null) {
                response.getHeaders().put(HttpHeader.ALLOW, e.allow);
            }
            writeError(response, callback, e);
        } catch (TesseraException.InvalidInput e) {
            String code = e instanceof TesseraException.ContextOverflow ? "context_length_exceeded" : null;
            log.accept(method + " " + path + " -> 400: " + e.getMessage());
            String param = code == null ? null : path.equals("/v1/chat/completions") ? "messages" : "prompt";
            writeError(response, callback, new ApiError(400, "invalid_request_error", param, code, e.getMessage()));
        } catch (RuntimeException e) {
            log.accept(method + " " + path + " -> 500: " + e);
            writeError(response, callback, new ApiError(500, "server_error", null, null, "internal error: " + e));
        }
    }

    private ObjectNode modelCard() {
        return Json.MAPPER.createObjectNode().put("id", options.modelId()).put("object", "model").put("created", created)
                .put("owned_by", "tessera");
    }

    private static void allow(String method, String expected) {
        if (!method.equals(expected)) {
            throw new ApiError(405, "invalid_request_error", null, "method_not_allowed", "use " + expected + " here, not " + method)
                    .allowing(expected);
        }
    }

    /** Runs a generation request unless too many already wait (503 with Retry-After: the client may try again). */
    private void queued(Response response, Callback callback, ApiRequests.Parsed p, boolean chat, long t0) {
        // Refused before queueing and before any byte is streamed, so it is a plain 400.
        completer.check(p.prompt());
        if (inFlight.incrementAndGet() > options.maxQueue() + 1) {
            inFlight.decrementAndGet();
            response.getHeaders().put(HttpHeader.RETRY_AFTER, "5");
            throw new ApiError(503, "server_error", null, "server_busy", "the server is busy: " + options.maxQueue()
                    + " requests are already waiting for the model; try again shortly");
        }
        try {
            complete(response, callback, p, chat, t0);
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private static JsonNode readJson(Request request) {
        long declared = request.getLength();
        if (declared > MAX_BODY_BYTES) {
            throw new ApiError(413, "invalid_request_error", null, "request_too_large",
                    "the request body has " + declared + " bytes; the limit is " + MAX_BODY_BYTES);
        }
        byte[] bytes;
        try (InputStream in = Content.Source.asInputStream(request)) {
            bytes = in.readNBytes(MAX_BODY_BYTES + 1);
        } catch (IOException e) {
            throw ApiError.invalid(null, "could not read the request body: " + e.getMessage());
        }
        if (bytes.length > MAX_BODY_BYTES) {
            throw new ApiError(413, "invalid_request_error", null, "request_too_large", "the request body is over " + MAX_BODY_BYTES + " bytes");
        }
        if (bytes.length == 0) {
            throw ApiError.invalid(null, "the request body is empty: send a JSON object");
        }
        try {
            return STRICT.readTree(StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString());
        } catch (java.nio.charset.CharacterCodingException e) {
            throw ApiError.invalid(null, "the request body is not valid UTF-8");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw ApiError.invalid(null, "the request body is not valid JSON: " + e.getOriginalMessage());
        }
    }

    private void complete(Response response, Callback callback, ApiRequests.Parsed p, boolean chat, long t0) {
        String id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
        long createdAt = System.currentTimeMillis() / 1000;
        if (!p.stream()) {
            // A client that disconnects is not noticed until the answer is written (the request is only read);
            // the generation runs to its end, as with OpenAI's own API.
            Completer.Result r = completer.complete(p.prompt(), p.markAt(), p.params(), piece -> !closing);
            ObjectNode out = header(id, chat ? "chat.completion" : "text_completion", createdAt);
            ObjectNode choice = out.putArray("choices").addObject().put("index", 0);
            if (chat) {
                choice.putObject("message").put("role", "assistant").put("content", r.text());
            } else {
                choice.put("text", p.echo() != null ? p.echo() + r.text() : r.text());
                choice.putNull("logprobs");
            }
            choice.put("finish_reason", r.finish().openAiName());
            out.set("usage", usage(r));
            logDone(chat, r, t0);
            writeJson(response, callback, 200, out);
            return;
        }
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        // Proxies such as nginx would otherwise buffer the whole stream.
        response.getHeaders().put("X-Accel-Buffering", "no");
        OutputStream os = Content.Sink.asOutputStream(response);
        Event events = new Event(os);
        if (chat) {
            ObjectNode first = header(id, "chat.completion.chunk", createdAt);
            ObjectNode c = first.putArray("choices").addObject().put("index", 0);
            c.putObject("delta").put("role", "assistant").put("content", "");
            c.putNull("finish_reason");
            events.send(first);
        } else if (p.echo() != null) {
            events.send(textChunk(id, createdAt, p.echo(), null));
        }
        Completer.Result r;
        try {
            r = completer.complete(p.prompt(), p.markAt(), p.params(), piece -> !closing && events.send(chat
                    ? chatChunk(id, createdAt, piece, null) : textChunk(id, createdAt, piece, null)));
        } catch (TesseraException e) {
            // Headers are gone: the error travels as an event, as OpenAI's streaming API does.
            ObjectNode err = Json.MAPPER.createObjectNode();
            err.putObject("error").put("message", e.getMessage()).put("type", "invalid_request_error");
            events.send(err);
            events.done();
            finish(os, callback, events);
            log.accept("stream failed: " + e.getMessage());
            return;
        }
        if (r.finish() != Completer.Finish.CANCELLED) {
            events.send(chat ? chatChunk(id, createdAt, null, r.finish().openAiName())
                    : textChunk(id, createdAt, "", r.finish().openAiName()));
            if (p.includeUsage()) {
                ObjectNode u = header(id, chat ? "chat.completion.chunk" : "text_completion", createdAt);
                u.putArray("choices");
                u.set("usage", usage(r));
                events.send(u);
            }
            events.done();
        }
        logDone(chat, r, t0);
        finish(os, callback, events);
    }

    private void logDone(boolean chat, Completer.Result r, long t0) {
        log.accept(String.format(java.util.Locale.ROOT,
                "%s: prompt %d tokens (%d reused), prefill %.1f tok/s; %d generated, %.2f tok/s; %s; %.2f s",
                chat ? "chat" : "completion", r.promptTokens(), r.reusedTokens(), r.prefillTokensPerSecond(),
                r.completionTokens(), r.decodeTokensPerSecond(),
                r.finish().name().toLowerCase(java.util.Locale.ROOT), (System.nanoTime() - t0) / 1e9));
    }

    private static void finish(OutputStream os, Callback callback, Event events) {
        try {
            os.close();
            callback.succeeded();
        } catch (IOException e) {
            callback.failed(events.failure != null ? events.failure : e);
        }
    }

    private ObjectNode header(String id, String object, long createdAt) {
        return Json.MAPPER.createObjectNode().put("id", id).put("object", object).put("created", createdAt)
                .put("model", options.modelId()).put("system_fingerprint", "tessera");
    }

    private ObjectNode chatChunk(String id, long createdAt, String content, String finish) {
        ObjectNode chunk = header(id, "chat.completion.chunk", createdAt);
        ObjectNode c = chunk.putArray("choices").addObject().put("index", 0);
        ObjectNode delta = c.putObject("delta");
        if (content != null) {
            delta.put("content", content);
        }
        if (finish == null) {
            c.putNull("finish_reason");
        } else {
            c.put("finish_reason", finish);
        }
        return chunk;
    }

    private ObjectNode textChunk(String id, long createdAt, String text, String finish) {
        ObjectNode chunk = header(id, "text_completion", createdAt);
        ObjectNode c = chunk.putArray("choices").addObject().put("index", 0).put("text", text);
        c.putNull("logprobs");
        if (finish == null) {
            c.putNull("finish_reason");
        } else {
            c.put("finish_reason", finish);
        }
        return chunk;
    }

    private static ObjectNode usage(Completer.Result r) {
        ObjectNode u = Json.MAPPER.createObjectNode().put("prompt_tokens", r.promptTokens())
                .put("completion_tokens", r.completionTokens()).put("total_tokens", r.promptTokens() + r.completionTokens());
        u.putObject("prompt_tokens_details").put("cached_tokens", r.reusedTokens());
        return u;
    }

    private static void writeJson(Response response, Callback callback, int status, JsonNode body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        try {
            Content.Sink.write(response, true, JSON.writeValueAsString(body) + "\n", callback);
        } catch (IOException e) {
            callback.failed(e);
        }
    }

    private static void writeError(Response response, Callback callback, ApiError e) {
        ObjectNode err = Json.MAPPER.createObjectNode();
        ObjectNode inner = err.putObject("error").put("message", e.getMessage()).put("type", e.type);
        if (e.param != null) {
            inner.put("param", e.param);
        } else {
            inner.putNull("param");
        }
        if (e.code != null) {
            inner.put("code", e.code);
        } else {
            inner.putNull("code");
        }
        if (response.isCommitted()) {
            callback.failed(e);
            return;
        }
        writeJson(response, callback, e.status, err);
    }

    /** Server-sent events on the response; a failed write means the client left, and generation stops. */
    private static final class Event {
        private final OutputStream os;
        IOException failure;

        Event(OutputStream os) {
            this.os = os;
        }

        boolean send(JsonNode data) {
            try {
                return write("data: " + JSON.writeValueAsString(data) + "\n\n");
            } catch (IOException e) {
                failure = e;
                return false;
            }
        }

        void done() {
            write("data: [DONE]\n\n");
        }

        private boolean write(String s) {
            if (failure != null) {
                return false;
            }
            try {
                os.write(s.getBytes(StandardCharsets.UTF_8));
                os.flush();
                return true;
            } catch (IOException e) {
                failure = e;
                return false;
            }
        }
    }
}
