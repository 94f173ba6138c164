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
}
