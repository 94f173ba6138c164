package dev.tessera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** convert / inspect / verify / run from the command line: exit codes, what goes to stdout and stderr. */
class BundleCommandsTest {
    @TempDir
    Path dir;

    @Test
    void convertInspectVerifyRun() throws Exception {
        Path out = dir.resolve("tiny-int8hu");
        String[] r = RunCommandTest.run("convert", "synthetic:llama-tiny", "-o", out.toString(), "--quant", "int8hu");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1].trim()).isEqualTo(out.toAbsolutePath().toString());
        assertThat(r[2]).contains("converted synthetic:llama-tiny");

        r = RunCommandTest.run("convert", "synthetic:llama-tiny", "-o", out.toString(), "--quant", "int8hu");
        assertThat(r[0]).isEqualTo("2");
        assertThat(r[2]).contains("already exists").contains("--force");

        r = RunCommandTest.run("inspect", out.toString());
        assertThat(r[0]).isEqualTo("0");
        assertThat(r[1]).contains("bundle, int8hu").contains("lm_head.qweight").contains("I8").contains("decode reads:");

        r = RunCommandTest.run("inspect", "synthetic:nanbeige4.1-3b@int4hu", "--summary");
        assertThat(r[0]).isEqualTo("0");
        assertThat(r[1]).contains("3,933,637,120").contains("total size:      3.04 GB");

        r = RunCommandTest.run("verify", out.toString(), "--source", "synthetic:llama-tiny");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1]).startsWith("OK");

        String inMemory = RunCommandTest.run("run", "-m", "synthetic:llama-tiny@int8hu", "--raw-tokens", "[1,2,3]", "-n", "6")[1];
        String fromBundle = RunCommandTest.run("run", "-m", out.toString(), "--raw-tokens", "[1,2,3]", "-n", "6")[1];
        assertThat(fromBundle).isEqualTo(inMemory);

        Files.writeString(out.resolve("metadata.json"), Files.readString(out.resolve("metadata.json"))
                .replace("\"context_length\" : 4096", "\"context_length\" : 4095"));
        r = RunCommandTest.run("verify", out.toString());
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("verify FAILED").contains("context 4095");

        r = RunCommandTest.run("convert", "synthetic:llama-tiny", "-o", dir.resolve("x").toString(), "--quant", "int5");
        assertThat(r[0]).isEqualTo("2");
        assertThat(r[2]).contains("unknown quantization scheme 'int5'");
    }
}
