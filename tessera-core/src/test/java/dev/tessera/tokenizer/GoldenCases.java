package dev.tessera.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.testing.Golden;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Shared access to the tokenizer goldens: folders, parsed jsonl lines, one loaded tokenizer per folder. */
final class GoldenCases {
    static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> FOLDERS = List.of("qwen3", "qwen3.5", "granite-4.0-h", "cl100k-gpt4", "nanbeige4", "yi");
    private static final Map<String, Tokenizer> TOKENIZERS = new ConcurrentHashMap<>();

    private GoldenCases() {}

    static Path dir(String folder) {
        return Golden.dir("tokenizer").resolve(folder);
    }

    static Tokenizer tokenizer(String folder) {
        return TOKENIZERS.computeIfAbsent(folder, f -> Tokenizer.load(dir(f)));
    }

    static List<JsonNode> lines(String folder, String file) {
        Path p = dir(folder).resolve(file);
        if (!Files.exists(p)) return List.of();
        try {
            List<JsonNode> out = new ArrayList<>();
            for (String line : Files.readAllLines(p)) {
                if (!line.isBlank()) out.add(JSON.readTree(line));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int[] ints(JsonNode arr) {
        int[] a = new int[arr.size()];
        for (int i = 0; i < a.length; i++) a[i] = arr.get(i).asInt();
        return a;
    }

    static String caseName(JsonNode c) {
        return c.get("name").asText() + (c.path("add_special_tokens").asBoolean() ? " [special]" : "");
    }
}
