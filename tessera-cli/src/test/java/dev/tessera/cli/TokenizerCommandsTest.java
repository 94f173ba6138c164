package dev.tessera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tokenizer commands run in-process on the golden folders, with stdout/stderr captured. */
class TokenizerCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    record Run(int exit, String out, String err) {}

    private static Run run(byte[] stdin, String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        InputStream oldIn = System.in;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            System.setIn(new ByteArrayInputStream(stdin == null ? new byte[0] : stdin));
            int exit = Main.execute(args);
            return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
            System.setIn(oldIn);
        }
    }

    /** The golden folder, found like tessera-core's Golden helper: -Dtessera.golden or shared/golden upward. */
    static Path golden(String folder) {
        String override = System.getProperty("tessera.golden", System.getenv("TESSERA_GOLDEN"));
        if (override != null) return Path.of(override).resolve("tokenizer").resolve(folder);
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            for (Path c : new Path[] {p.resolve("shared/golden"), p.resolveSibling("shared").resolve("golden")}) {
                if (Files.isDirectory(c)) return c.resolve("tokenizer").resolve(folder);
            }
        }
        throw new IllegalStateException("shared/golden not found; set -Dtessera.golden");
    }

    private static List<JsonNode> lines(String s) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String l : s.split("\n")) if (!l.isBlank()) out.add(JSON.readTree(l));
        return out;
    }

    @Test
    void tokenizeJsonlMatchesEveryGoldenCase() throws IOException {
        for (String folder : List.of("qwen3", "nanbeige4")) {
            Path dir = golden(folder);
            Run r = run(null, "tokenize", "--model", dir.toString(), "--jsonl", dir.resolve("cases.jsonl").toString());
            assertThat(r.exit()).as(r.err()).isZero();
            List<JsonNode> expected = lines(Files.readString(dir.resolve("cases.jsonl")));
            List<JsonNode> got = lines(r.out());
            assertThat(got).hasSameSizeAs(expected);
            for (int i = 0; i < got.size(); i++) {
                assertThat(got.get(i).get("ids")).as(expected.get(i).get("name").asText()).isEqualTo(expected.get(i).get("ids"));
                assertThat(got.get(i).get("decoded")).isEqualTo(expected.get(i).get("decoded"));
                assertThat(got.get(i).get("decoded_skip_special")).isEqualTo(expected.get(i).get("decoded_skip_special"));
            }
        }
    }

    @Test
    void tokenizeTextAndStdinAndDetokenize() throws IOException {
        Path dir = golden("nanbeige4");
        JsonNode c = lines(Files.readString(dir.resolve("cases.jsonl"))).stream()
                .filter(n -> n.get("add_special_tokens").asBoolean()).findFirst().orElseThrow();
        String text = c.get("text").asText();
        Run byText = run(null, "tokenize", "--model", dir.toString(), "--special", "--text", text);
        assertThat(byText.exit()).as(byText.err()).isZero();
        assertThat(JSON.readTree(byText.out())).isEqualTo(c.get("ids"));
        Run byStdin = run(text.getBytes(StandardCharsets.UTF_8), "tokenize", "--model", dir.resolve("tokenizer.json.gz").toString(), "--special");
        assertThat(JSON.readTree(byStdin.out())).isEqualTo(c.get("ids"));
        Run de = run(null, "detokenize", "--model", dir.toString(), "--ids", c.get("ids").toString());
        assertThat(de.out()).isEqualTo(c.get("decoded").asText());
        Run deSkip = run(null, "detokenize", "--model", dir.toString(), "--skip-special", "--ids", c.get("ids").toString());
        assertThat(deSkip.out()).isEqualTo(c.get("decoded_skip_special").asText());
    }

    @Test
    void templateJsonlMatchesEveryGoldenChat() throws IOException {
        for (String folder : List.of("qwen3", "granite-4.0-h")) {
            Path dir = golden(folder);
            Run r = run(null, "template", "--model", dir.toString(), "--jsonl", dir.resolve("chat.jsonl").toString());
            assertThat(r.exit()).as(r.err()).isZero();
            List<JsonNode> expected = lines(Files.readString(dir.resolve("chat.jsonl")));
            List<JsonNode> got = lines(r.out());
            assertThat(got).hasSameSizeAs(expected);
            for (int i = 0; i < got.size(); i++) {
                assertThat(got.get(i).get("rendered")).as(expected.get(i).get("name").asText()).isEqualTo(expected.get(i).get("rendered"));
                assertThat(got.get(i).get("ids")).isEqualTo(expected.get(i).get("ids"));
            }
        }
    }

    @Test
    void templateWithMessagesFile(@TempDir Path tmp) throws IOException {
        Path dir = golden("qwen3");
        Path msgs = tmp.resolve("m.json");
        Files.writeString(msgs, "[{\"role\": \"user\", \"content\": \"Hello!\"}]");
        Run r = run(null, "template", "--model", dir.toString(), "--messages", msgs.toString(), "--generation-prompt",
                "--kwargs", "{\"enable_thinking\": false}");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n");
    }

    @Test
    void invalidInputsGiveClearErrors(@TempDir Path tmp) throws IOException {
        Path dir = golden("qwen3");
        Run badUtf8 = run(new byte[] {'a', (byte) 0xC3, '(', 'b'}, "tokenize", "--model", dir.toString());
        assertThat(badUtf8.exit()).isEqualTo(2);
        assertThat(badUtf8.err()).contains("not valid UTF-8").contains("byte offset 1");
        Run badId = run(null, "detokenize", "--model", dir.toString(), "--ids", "[1, 99999999]");
        assertThat(badId.exit()).isEqualTo(2);
        assertThat(badId.err()).contains("99999999").contains("out of range");
        Run notArray = run(null, "detokenize", "--model", dir.toString(), "--ids", "{\"a\": 1}");
        assertThat(notArray.err()).contains("JSON array");
        Path msgs = tmp.resolve("m.json");
        Files.writeString(msgs, "[{\"role\": \"system\", \"content\": \"only a system message\"}]");
        Run raised = run(null, "template", "--model", golden("qwen3.5").toString(), "--messages", msgs.toString());
        assertThat(raised.exit()).isEqualTo(2);
        assertThat(raised.err()).contains("No user query found in messages.");
        Run noTemplate = run(null, "template", "--model", golden("yi").toString(), "--messages", msgs.toString());
        assertThat(noTemplate.err()).contains("No chat template");
    }
}
