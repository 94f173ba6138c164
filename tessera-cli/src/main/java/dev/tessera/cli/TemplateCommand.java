package dev.tessera.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.TesseraException;
import dev.tessera.tokenizer.ChatTemplate;
import dev.tessera.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tessera template}: renders a conversation with the model's chat template. */
@Command(
        name = "template",
        mixinStandardHelpOptions = true,
        description = {
            "Renders messages with the model's chat template (chat_template.jinja or tokenizer_config.json) and "
                    + "prints the prompt exactly, without an added newline.",
            "With --jsonl, each input line is a JSON object {\"messages\": [...], \"kwargs\": {...}, "
                    + "\"special_tokens\": {...}} and each output line holds rendered and ids (the rendered text "
                    + "encoded without added special tokens)."
        })
public final class TemplateCommand implements Runnable {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "M",
            description = "Checkpoint or tokenizer directory, or a tokenizer.json(.gz) file.")
    Path model;

    @Option(names = "--messages", paramLabel = "FILE.json",
            description = "A JSON array of messages ({\"role\": ..., \"content\": ...}), or an object with \"messages\".")
    Path messages;

    @Option(names = "--generation-prompt", description = "Append the assistant prompt (add_generation_prompt=True).")
    boolean generationPrompt;

    @Option(names = "--kwargs", paramLabel = "JSON",
            description = "Extra template variables as a JSON object, e.g. '{\"enable_thinking\": false, \"tools\": [...]}'.")
    String kwargs;

    @Option(names = "--jsonl", paramLabel = "IN.jsonl", description = "Batch mode: one JSON object per line.")
    Path jsonl;

    private static final TypeReference<List<Map<String, Object>>> MESSAGES = new TypeReference<>() {};
    private static final TypeReference<Map<String, Object>> OBJECT = new TypeReference<>() {};

    @Override
    public void run() {
        if ((messages == null) == (jsonl == null)) {
            throw new TesseraException.InvalidInput("Give exactly one of --messages FILE.json or --jsonl IN.jsonl");
        }
        Tokenizer tok = Tokenizer.load(model);
        ChatTemplate template = tok.chatTemplate().orElseThrow(() -> new TesseraException.InvalidInput(
                "No chat template in " + model + ": expected chat_template.jinja or a \"chat_template\" in tokenizer_config.json"));
        if (jsonl != null) {
            runJsonl(tok, template);
            return;
        }
        JsonNode node = parse(CliIo.readFile(messages), messages.toString());
        JsonNode msgs = node.isObject() ? node.get("messages") : node;
        Map<String, Object> kw = new LinkedHashMap<>();
        if (node.isObject() && node.has("kwargs")) kw.putAll(toMap(node.get("kwargs"), messages + ": kwargs"));
        if (kwargs != null) kw.putAll(toMap(parse(kwargs, "--kwargs"), "--kwargs"));
        if (generationPrompt) kw.put("add_generation_prompt", true);
        CliIo.print(template.render(toMessages(msgs, messages.toString()), kw));
    }

    private void runJsonl(Tokenizer tok, ChatTemplate template) {
        String[] lines = CliIo.readFile(jsonl).split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty()) continue;
            String where = jsonl + " line " + (i + 1);
            JsonNode in = parse(line, where);
            Map<String, Object> kw = new LinkedHashMap<>();
            if (in.has("special_tokens")) kw.putAll(toMap(in.get("special_tokens"), where + ": special_tokens"));
            if (in.has("kwargs")) kw.putAll(toMap(in.get("kwargs"), where + ": kwargs"));
            if (generationPrompt) kw.putIfAbsent("add_generation_prompt", true);
            String rendered = template.render(toMessages(in.get("messages"), where), kw);
            ObjectNode out = CliIo.JSON.createObjectNode();
            if (in.has("name")) out.set("name", in.get("name"));
            out.put("rendered", rendered);
            out.set("ids", CliIo.JSON.valueToTree(tok.encode(rendered, in.path("add_special_tokens").asBoolean(false))));
            CliIo.println(CliIo.json(out));
        }
    }

    private static JsonNode parse(String json, String where) {
        try {
            return CliIo.JSON.readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new TesseraException.InvalidInput(where + " is not valid JSON: " + e.getOriginalMessage());
        }
    }

    private static List<Map<String, Object>> toMessages(JsonNode n, String where) {
        if (n == null || !n.isArray()) {
            throw new TesseraException.InvalidInput(where + ": \"messages\" must be a JSON array of message objects");
        }
        for (JsonNode m : n) {
            if (!m.isObject()) throw new TesseraException.InvalidInput(where + ": each message must be a JSON object");
        }
        return CliIo.JSON.convertValue(n, MESSAGES);
    }

    private static Map<String, Object> toMap(JsonNode n, String where) {
        if (n == null || !n.isObject()) throw new TesseraException.InvalidInput(where + " must be a JSON object");
        return CliIo.JSON.convertValue(n, OBJECT);
    }
}
