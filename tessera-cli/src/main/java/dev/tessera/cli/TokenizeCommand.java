package dev.tessera.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.TesseraException;
import dev.tessera.tokenizer.Tokenizer;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tessera tokenize}: text to token ids, one text or a JSONL batch. */
@Command(
        name = "tokenize",
        mixinStandardHelpOptions = true,
        description = {
            "Encodes text with a model's tokenizer and prints the ids as a JSON array. Text comes from --text, "
                    + "else from standard input (UTF-8).",
            "With --jsonl, each input line is a JSON object {\"text\": ..., \"add_special_tokens\": ...} and "
                    + "each output line holds ids, decoded and decoded_skip_special."
        })
public final class TokenizeCommand implements Runnable {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "M",
            description = "Checkpoint or tokenizer directory, or a tokenizer.json(.gz) file.")
    Path model;

    @Option(names = "--text", paramLabel = "T", description = "The text to encode (default: read standard input).")
    String text;

    @Option(names = "--special", description = "Add the special tokens of the post-processor (BOS/EOS), like add_special_tokens=True.")
    boolean special;

    @Option(names = "--jsonl", paramLabel = "IN.jsonl", description = "Batch mode: one JSON object per line.")
    Path jsonl;

    @Override
    public void run() {
        if (text != null && jsonl != null) {
            throw new TesseraException.InvalidInput("Use either --text or --jsonl, not both");
        }
        Tokenizer tok = Tokenizer.load(model);
        if (jsonl != null) {
            runJsonl(tok);
            return;
        }
        String input = text != null ? text : CliIo.readStdin();
        CliIo.println(CliIo.json(tok.encode(input, special)));
    }

    private void runJsonl(Tokenizer tok) {
        String[] lines = CliIo.readFile(jsonl).split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty()) continue;
            JsonNode in = parseLine(line, i + 1);
            JsonNode t = in.get("text");
            if (t == null || !t.isTextual()) {
                throw new TesseraException.InvalidInput(jsonl + " line " + (i + 1) + ": \"text\" must be a string");
            }
            boolean add = in.path("add_special_tokens").asBoolean(special);
            int[] ids = tok.encode(t.asText(), add);
            ObjectNode out = CliIo.JSON.createObjectNode();
            if (in.has("name")) out.set("name", in.get("name"));
            out.set("ids", CliIo.JSON.valueToTree(ids));
            out.put("decoded", tok.decode(ids, false));
            out.put("decoded_skip_special", tok.decode(ids, true));
            CliIo.println(CliIo.json(out));
        }
    }

    private JsonNode parseLine(String line, int n) {
        try {
            JsonNode node = CliIo.JSON.readTree(line);
            if (!node.isObject()) throw new TesseraException.InvalidInput(jsonl + " line " + n + " is not a JSON object");
            return node;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new TesseraException.InvalidInput(jsonl + " line " + n + " is not valid JSON: " + e.getOriginalMessage());
        }
    }
}
