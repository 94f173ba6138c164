package dev.tessera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.io.Json;
import dev.tessera.testing.TinyChatModel;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Text in, text out, on a real checkpoint folder: a tiny random Llama whose vocabulary is the real Qwen3 tokenizer's,
 * with that tokenizer, its config and chat template beside the weights, exactly as a downloaded model folder.
 */
class TextPromptTest {
    @TempDir
    static Path dir;
    static Path checkpoint;

    @BeforeAll
    static void makeCheckpoint() {
        checkpoint = TinyChatModel.write(dir);
    }

    @Test
    void chatPromptStreamsTextAndSavesTheTemplatedIds() throws Exception {
        Path out = dir.resolve("chat.safetensors");
        String[] r = RunCommandTest.run("run", "--model", checkpoint.toString(), "--prompt", "Hello there", "--chat",
                "--kwargs", "{\"enable_thinking\": false}", "--max-tokens", "3", "--save-logits", out.toString());
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        try (var f = dev.tessera.io.SafeTensorsFile.open(out)) {
            long[] ids = f.tensor("input_ids").toLongArray();
            // <|im_start|>user\nHello there<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n
            assertThat(ids[0]).isEqualTo(151644);
            assertThat(ids).contains(151645L, 151667L, 151668L);
        }
        r = RunCommandTest.run("run", "--model", checkpoint.toString(), "--prompt", "Hello", "--max-tokens", "4",
                "--temperature", "0.7", "--seed", "3");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[2]).contains("generated");
    }

    @Test
    void chatKeepsTheConversationAndReadsCommands() {
        java.io.InputStream oldIn = System.in;
        System.setIn(new java.io.ByteArrayInputStream("Hello\\\nthere\n\nAnd then?\n/reset\nHi again\n/exit\nnever read\n"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        try {
            String[] r = RunCommandTest.run("chat", "--model", checkpoint.toString(), "--kwargs", "{\"enable_thinking\": false}",
                    "--max-tokens", "3", "--temperature", "0");
            assertThat(r[0]).as(r[2]).isEqualTo("0");
            // Three replies (the blank line is skipped, /exit ends before the last line), each with its statistics;
            // the second continues the first conversation and reuses its tokens, the third starts afresh.
            String[] stats = r[2].split("tok/s; prompt ", -1);
            assertThat(stats).hasSize(4);
            assertThat(stats[1]).containsPattern("^\\d+ tokens, 0 reused");
            assertThat(stats[2]).containsPattern("^\\d+ tokens, [1-9]\\d* reused");
            assertThat(stats[3]).containsPattern("^\\d+ tokens, 0 reused");
            assertThat(r[2]).contains("new conversation");
            assertThat(r[1].split("\n", -1)).hasSizeGreaterThanOrEqualTo(3);
        } finally {
            System.setIn(oldIn);
        }
        String[] none = RunCommandTest.run("chat", "--model", "synthetic:llama-tiny");
        assertThat(none[0]).isEqualTo("2");
        assertThat(none[2]).contains("has no tokenizer");
    }

    @Test
    void promptWithoutTokenizerIsAClearError() {
        String[] r = RunCommandTest.run("run", "--model", "synthetic:llama-tiny", "--prompt", "Hello");
        assertThat(r[0]).isEqualTo("2");
        assertThat(r[2]).contains("has no tokenizer").contains("--tokenizer");
    }

    @Test
    void gateWithDefaultPromptsAndConvertGate() throws Exception {
        Path bundle = dir.resolve("bundle-int8hu");
        String[] r = RunCommandTest.run("convert", checkpoint.toString(), "-o", bundle.toString(), "--quant", "int8hu",
                "--gate", "--allow-ties");
        assertThat(r[0]).as(r[2]).isIn("0", "1");
        var meta = Json.read(bundle.resolve("metadata.json"));
        assertThat(meta.path("gate").path("format").asText()).isEqualTo("tessera-gate-transcript/1");
        assertThat(meta.path("gate").path("prompts")).hasSize(2);
        assertThat(meta.path("gate").path("prompts").get(0).path("input_text").asText()).isEqualTo("The capital of France is");
        r = RunCommandTest.run("inspect", bundle.toString(), "--summary");
        assertThat(r[1]).contains("gate:").contains("prompt of");
        // The checkpoint against itself passes whatever the margins.
        r = RunCommandTest.run("gate", checkpoint.toString(), "--reference", checkpoint.toString(), "--allow-ties");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1]).contains("PASS");
    }
}
