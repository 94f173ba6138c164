package dev.tessera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** tessera serve refuses bad settings before it loads anything (the HTTP API itself is tested in tessera-server). */
class ServeCommandTest {
    @Test
    void badSettingsAreClearErrors() {
        String[] r = RunCommandTest.run("serve", "--model", "synthetic:llama-tiny", "--port", "70000");
        assertThat(r[0]).isEqualTo("2");
        assertThat(r[2]).contains("--port");
        r = RunCommandTest.run("serve", "--model", "synthetic:llama-tiny", "--top-p", "1.5");
        assertThat(r[0]).isEqualTo("2");
        assertThat(r[2]).contains("top-p");
        r = RunCommandTest.run("serve", "--model", "synthetic:llama-tiny");
        assertThat(r[0]).isEqualTo("2");
        assertThat(r[2]).contains("has no tokenizer").contains("--tokenizer");
    }

    @Test
    void theDefaultNameIsTheFolderOrThePreset() {
        assertThat(ServeCommand.defaultName("synthetic:qwen3.5-0.8b@int8hu")).isEqualTo("synthetic:qwen3.5-0.8b@int8hu");
        assertThat(ServeCommand.defaultName("/models/Qwen3.5-0.8B/")).isEqualTo("Qwen3.5-0.8B");
    }

    @Test
    void everyCommandThatTakesAModelTakesDashM() {
        // The README's usage lines write -m M for all of them.
        String tok = RunCommandTest.golden("tokenizer").resolve("qwen3").toString();
        String[] r = RunCommandTest.run("tokenize", "-m", tok, "--text", "Hello world");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1].strip()).isEqualTo("[9707,1879]");
        r = RunCommandTest.run("detokenize", "-m", tok, "--ids", "[9707,1879]");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1]).startsWith("Hello world");
    }
}
