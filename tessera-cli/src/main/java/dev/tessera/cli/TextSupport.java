package dev.tessera.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tessera.TesseraException;
import dev.tessera.io.Json;
import dev.tessera.engine.ChatPrompt;
import dev.tessera.engine.Completer;
import dev.tessera.tokenizer.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Finds the tokenizer that belongs to a model and turns a text prompt (optionally a chat turn) into ids. */
final class TextSupport {
    private TextSupport() {}

    /**
     * The tokenizer beside a model: a checkpoint folder's own files, a bundle's {@code tokenizer/} folder, or the
     * explicit {@code --tokenizer} path. Synthetic models have none unless one is given.
     */
    static Optional<Tokenizer> tokenizerFor(String model, Path explicit) {
        if (explicit != null) {
            return Optional.of(Tokenizer.load(explicit));
        }
        if (model.startsWith("synthetic:")) {
            return Optional.empty();
        }
        Path dir = Path.of(model);
        for (Path candidate : new Path[] {dir, dir.resolve("tokenizer")}) {
            if (Files.isRegularFile(candidate.resolve("tokenizer.json"))
                    || Files.isRegularFile(candidate.resolve("tokenizer.json.gz"))) {
                return Optional.of(Tokenizer.load(candidate));
            }
        }
        return Optional.empty();
    }

    static Tokenizer require(String model, Path explicit, String why) {
        return tokenizerFor(model, explicit).orElseThrow(() -> new TesseraException.InvalidInput(
                model + " has no tokenizer (no tokenizer.json beside it), which " + why
                        + ": pass --tokenizer DIR, or use --raw-tokens"));
    }

    /** The prompt's ids: plain text, or one chat turn rendered through the model's own chat template. */
    static int[] encodePrompt(Tokenizer tok, String prompt, boolean chat, String system, String kwargsJson) {
        if (!chat) {
            return tok.encode(prompt, true);
        }
        List<Map<String, Object>> messages = new ArrayList<>();
        if (system != null) {
            messages.add(ChatPrompt.message("system", system));
        }
        messages.add(ChatPrompt.message("user", prompt));
        return ChatPrompt.encode(tok, messages, kwargs(kwargsJson));
    }

    /** Compiles the generation paths before the first message or request, and says how long that took. */
    static void warmUp(Completer completer) {
        long t0 = System.nanoTime();
        completer.warmUp();
        Log.info("warmed up in %.1f s", (System.nanoTime() - t0) / 1e9);
    }

    /** {@code --kwargs}: a JSON object of extra chat-template variables, or empty. */
    static Map<String, Object> kwargs(String kwargsJson) {
        Map<String, Object> kwargs = new LinkedHashMap<>();
        if (kwargsJson != null) {
            JsonNode node;
            try {
                node = Json.MAPPER.readTree(kwargsJson);
            } catch (Exception e) {
                node = null;
            }
            if (node == null || !node.isObject()) {
                throw new TesseraException.InvalidInput("--kwargs must be a JSON object, e.g. '{\"enable_thinking\": false}'");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> m = Json.MAPPER.convertValue(node, Map.class);
            kwargs.putAll(m);
        }
        return kwargs;
    }
}
