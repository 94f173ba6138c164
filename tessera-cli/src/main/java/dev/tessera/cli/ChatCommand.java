package dev.tessera.cli;

import dev.tessera.TesseraException;
import dev.tessera.engine.ChatPrompt;
import dev.tessera.engine.Completer;
import dev.tessera.model.Model;
import dev.tessera.tokenizer.Tokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tessera chat}: a conversation on the terminal through the model's chat template. Each turn renders the whole
 * conversation; when it extends what the model state already holds, only the new tokens are prefilled.
 */
@Command(name = "chat", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Chats with a model on the terminal, through its own chat template.",
                "Type a message and press Enter; end a line with \\ to continue it on the next.",
                "Commands: /reset starts a new conversation, /exit (or end of input) quits.",
                "Example: tessera chat --model ./Qwen3.5-0.8B --kwargs '{\"enable_thinking\": false}'"})
final class ChatCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions = new ModelOptions();

    @Mixin
    TextOptions text = new TextOptions();

    @Option(names = "--system", paramLabel = "TEXT", description = "A system message that opens the conversation.")
    String system;

    @Option(names = {"-n", "--max-tokens"}, paramLabel = "N", defaultValue = "1024",
            description = "Most tokens per reply (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Mixin
    SamplingOptions sampling = new SamplingOptions();

    @Override
    public Integer call() throws IOException {
        if (maxTokens < 1) {
            throw new TesseraException.InvalidInput("--max-tokens must be at least 1");
        }
        Tokenizer tok = text.tokenizer(modelOptions.model, "chat needs");
        if (tok.chatTemplate().isEmpty()) {
            throw new TesseraException.InvalidInput("the tokenizer of " + modelOptions.model + " has no chat template "
                    + "(no chat_template.jinja or chat_template in tokenizer_config.json): use `tessera run --prompt` instead");
        }
        Map<String, Object> vars = text.templateVariables();
        try (Model model = modelOptions.load()) {
            Completer completer = new Completer(model, tok, modelOptions.chunkSize, Completer.endOfSequence(model, tok));
            TextSupport.warmUp(completer);
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            PrintStream out = System.out;
            List<Map<String, Object>> messages = new ArrayList<>();
            if (system != null) {
                messages.add(ChatPrompt.message("system", system));
            }
            long seed = sampling.seed(0);
            Log.info("chatting with %s: /reset for a new conversation, /exit to quit", modelOptions.model);
            while (true) {
                String line = readMessage(in);
                if (line == null || line.strip().equals("/exit") || line.strip().equals("/quit")) {
                    return 0;
                }
                if (line.strip().equals("/reset")) {
                    messages.subList(system != null ? 1 : 0, messages.size()).clear();
                    completer.reset();
                    Log.info("new conversation");
                    continue;
                }
                if (line.isBlank()) {
                    continue;
                }
                messages.add(ChatPrompt.message("user", line));
                Completer.Result r;
                try {
                    ChatPrompt.Reply prompt = ChatPrompt.encodeReply(tok, messages, vars);
                    var params = new Completer.Params(maxTokens, sampling.temperature(0.7), sampling.topK, sampling.topP,
                            sampling.minP, seed++, List.of(), true);
                    r = completer.complete(prompt.ids(), prompt.conversationTokens(), params, piece -> {
                        out.print(piece);
                        out.flush();
                        return !out.checkError();
                    });
                } catch (TesseraException.ContextOverflow e) {
                    messages.removeLast();
                    Log.info("%s; /reset starts a new conversation", e.getMessage());
                    continue;
                } catch (TesseraException e) {
                    messages.removeLast();
                    Log.info("%s", e.getMessage());
                    continue;
                }
                out.println();
                messages.add(ChatPrompt.message("assistant", r.text()));
                boolean full = r.promptTokens() + r.completionTokens() >= model.info().contextLength();
                Log.info("[%d tokens, %.1f tok/s; prompt %d tokens, %d reused%s]", r.completionTokens(),
                        r.decodeTokensPerSecond(), r.promptTokens(), r.reusedTokens(), full ? "; the context is full: /reset to start a new conversation"
                                : r.finish() == Completer.Finish.LENGTH ? "; reply cut at --max-tokens" : "");
            }
        }
    }

    /** One message: a line, or several joined where a line ends with a backslash; null at the end of input. */
    private static String readMessage(BufferedReader in) throws IOException {
        System.err.print("> ");
        System.err.flush();
        StringBuilder message = new StringBuilder();
        while (true) {
            String line = in.readLine();
            if (line == null) {
                return message.isEmpty() ? null : message.toString();
            }
            if (line.endsWith("\\")) {
                message.append(line, 0, line.length() - 1).append('\n');
                continue;
            }
            return message.append(line).toString();
        }
    }
}
