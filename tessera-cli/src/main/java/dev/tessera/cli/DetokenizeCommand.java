package dev.tessera.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tessera.TesseraException;
import dev.tessera.tokenizer.Tokenizer;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tessera detokenize}: token ids back to text. */
@Command(
        name = "detokenize",
        mixinStandardHelpOptions = true,
        description = {
            "Decodes token ids (a JSON array, from --ids or standard input) with a model's tokenizer and prints "
                    + "the text exactly, without an added newline."
        })
public final class DetokenizeCommand implements Runnable {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "M",
            description = "Checkpoint or tokenizer directory, or a tokenizer.json(.gz) file.")
    Path model;

    @Option(names = "--ids", paramLabel = "JSON", description = "The ids, e.g. '[791, 6864, 315]'.")
    String ids;

    @Option(names = "--skip-special", description = "Leave out special tokens (skip_special_tokens=True).")
    boolean skipSpecial;

    @Override
    public void run() {
        String json = ids != null ? ids : CliIo.readStdin();
        int[] arr = parseIds(json);
        Tokenizer tok = Tokenizer.load(model);
        CliIo.print(tok.decode(arr, skipSpecial));
    }

    static int[] parseIds(String json) {
        JsonNode node;
        try {
            node = CliIo.JSON.readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new TesseraException.InvalidInput("--ids must be a JSON array of integers: " + e.getOriginalMessage());
        }
        if (node == null || !node.isArray()) {
            throw new TesseraException.InvalidInput("--ids must be a JSON array of integers, e.g. [1, 2, 3]");
        }
        int[] out = new int[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.canConvertToInt()) {
                throw new TesseraException.InvalidInput("--ids element " + i + " is not an integer id: " + v);
            }
            out[i] = v.asInt();
        }
        return out;
    }
}
