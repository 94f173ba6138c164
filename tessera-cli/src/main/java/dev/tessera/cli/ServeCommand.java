package dev.tessera.cli;

import dev.tessera.TesseraException;
import dev.tessera.engine.Completer;
import dev.tessera.model.Model;
import dev.tessera.server.OpenAiServer;
import dev.tessera.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tessera serve}: the OpenAI-compatible HTTP API over one model. */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serves a model over the OpenAI HTTP API: POST /v1/chat/completions, POST /v1/completions "
                + "(\"stream\": true for server-sent events), GET /v1/models, GET /health.",
                "Requests run one at a time; sampling options below are the defaults of fields a request leaves out.",
                "Example: tessera serve --model ./Qwen3.5-0.8B --port 8080, then",
                "  curl localhost:8080/v1/chat/completions -d '{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}'"})
final class ServeCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions = new ModelOptions();

    @Mixin
    TextOptions text = new TextOptions();

    @Option(names = "--host", paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "Address to listen on (default: ${DEFAULT-VALUE}; 0.0.0.0 for every interface).")
    String host;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8080", description = "Port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--name", paramLabel = "ID", description = "Model id reported by /v1/models (default: the model's folder or preset name).")
    String name;

    @Option(names = {"-n", "--max-tokens"}, paramLabel = "N", defaultValue = "2048",
            description = "Tokens to generate when a request gives no max_tokens (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--max-queue", paramLabel = "N", defaultValue = "16",
            description = "Generation requests that may wait while one runs; more get 503 + Retry-After (default: ${DEFAULT-VALUE}).")
    int maxQueue;

    @Mixin
    SamplingOptions sampling = new SamplingOptions();

    @Override
    public Integer call() throws InterruptedException {
        if (port < 0 || port > 65535) {
            throw new TesseraException.InvalidInput("--port must be between 0 and 65535");
        }
        if (maxTokens < 1) {
            throw new TesseraException.InvalidInput("--max-tokens must be at least 1");
        }
        if (maxQueue < 0) {
            throw new TesseraException.InvalidInput("--max-queue must be >= 0");
        }
        sampling.sampler(1); // refuses bad defaults before the model loads
        Tokenizer tok = text.tokenizer(modelOptions.model, "the server needs");
        var vars = text.templateVariables();
        String id = name != null ? name : defaultName(modelOptions.model);
        try (Model model = modelOptions.load()) {
            Completer completer = new Completer(model, tok, modelOptions.chunkSize, Completer.endOfSequence(model, tok));
            var options = new OpenAiServer.Options(host, port, id, maxTokens, sampling.temperature(1), sampling.topP,
                    sampling.topK, sampling.minP, vars, sampling.seed, maxQueue);
            try (OpenAiServer server = new OpenAiServer(completer, options, line -> Log.info("%s", line))) {
                // Bind first: a taken port is reported at once, not after the warm-up. Requests that arrive while
                // it runs wait for it like any other.
                int actual = server.start();
                TextSupport.warmUp(completer);
                Log.info("serving %s on http://%s:%d/v1 (chat template: %s); Ctrl-C stops", id, host, actual,
                        tok.chatTemplate().isPresent() ? "yes" : "none, so only /v1/completions");
                Runtime.getRuntime().addShutdownHook(new Thread(server::close));
                server.join();
            }
        }
        return 0;
    }

    static String defaultName(String model) {
        if (model.startsWith("synthetic:")) {
            return model;
        }
        Path p = Path.of(model).toAbsolutePath().normalize();
        return p.getFileName() != null ? p.getFileName().toString() : model;
    }
}
