package dev.tessera.cli;

import dev.tessera.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/** Where the tokenizer comes from and the chat-template variables: run, chat and serve share them. */
final class TextOptions {
    @Option(names = "--tokenizer", paramLabel = "DIR",
            description = "Tokenizer folder to use instead of the model's own (needed for synthetic models).")
    Path tokenizerDir;

    @Option(names = "--kwargs", paramLabel = "JSON",
            description = "Chat-template variables, e.g. '{\"enable_thinking\": false}' (for serve: defaults that a request's chat_template_kwargs adds to).")
    String kwargs;

    Tokenizer tokenizer(String model, String why) {
        return TextSupport.require(model, tokenizerDir, why);
    }

    Map<String, Object> templateVariables() {
        return TextSupport.kwargs(kwargs);
    }
}
