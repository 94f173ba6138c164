package dev.tessera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.io.SafeTensorsFile;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tessera run --save-logits} on each golden's checkpoint reproduces Hugging Face's expected.safetensors. */
class RunCommandTest {
    @TempDir
    Path dir;

    static Path golden(String name) {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path g = p.resolveSibling("shared").resolve("golden").resolve(name);
            if (Files.isDirectory(g)) {
                return g;
            }
        }
        throw new IllegalStateException("../shared/golden/" + name + " not found beside the repository");
    }

    static String[] run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true));
        System.setErr(new PrintStream(err, true));
        try {
            int code = Main.execute(args);
            return new String[] {String.valueOf(code), out.toString(), err.toString()};
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void saveLogitsReproducesTheGolden() throws Exception {
        for (String name : new String[] {"llama-tiny", "granite-hybrid-tiny", "qwen35-tiny-tied", "qwen35-tiny-untied"}) {
            Path g = golden(name);
            Path out = dir.resolve(name + ".safetensors");
            long[] ids;
            float[] logits, greedyLogits;
            long[] greedy;
            try (SafeTensorsFile f = SafeTensorsFile.open(g.resolve("expected.safetensors"))) {
                ids = f.tensor("input_ids").toLongArray();
                logits = f.tensor("logits").toFloatArray();
                greedy = f.tensor("greedy_ids").toLongArray();
                greedyLogits = f.tensor("greedy_logits").toFloatArray();
            }
            StringBuilder prompt = new StringBuilder("[");
            for (int i = 0; i < ids.length; i++) {
                prompt.append(i == 0 ? "" : ",").append(ids[i]);
            }
            String[] r = run("run", "--model", g.toString(), "--raw-tokens", prompt + "]",
                    "--max-tokens", String.valueOf(greedy.length), "--temperature", "0", "--save-logits", out.toString());
            assertThat(r[0]).as(r[2]).isEqualTo("0");
            try (SafeTensorsFile f = SafeTensorsFile.open(out)) {
                assertThat(f.tensor("input_ids").toLongArray()).containsExactly(ids);
                assertThat(f.tensor("generated_ids").toLongArray()).containsExactly(greedy);
                assertClose(f.tensor("logits").toFloatArray(), logits);
                assertClose(f.tensor("generated_logits").toFloatArray(), greedyLogits);
                assertThat(f.tensor("logits").shape()).containsExactly(ids.length, logits.length / ids.length);
            }
        }
    }

    static void assertClose(float[] a, float[] b) {
        float scale = 0;
        for (float v : b) {
            scale = Math.max(scale, Math.abs(v));
        }
        assertThat(a).hasSameSizeAs(b);
        for (int i = 0; i < a.length; i++) {
            assertThat(Math.abs(a[i] - b[i])).isLessThanOrEqualTo(1e-3f * scale);
        }
    }

    @Test
    void badInputsGiveClearErrors() {
        String[] r = run("run", "--model", "synthetic:llama-tiny", "--raw-tokens", "[1, 99999]", "--max-tokens", "2");
        assertThat(r[0]).isEqualTo("2");
        assertThat(r[2]).contains("token id 99999").contains("outside the vocabulary");
        r = run("run", "--model", "synthetic:llama-tiny", "--raw-tokens", "hello");
        assertThat(r[0]).isEqualTo("2");
        assertThat(r[2]).contains("--raw-tokens must be a JSON array");
        r = run("run", "--model", "synthetic:llama-tiny", "--raw-tokens", "[1,2,3,4,5,6]", "--context", "4");
        assertThat(r[0]).isEqualTo("2");
        assertThat(r[2]).contains("context length of 4");
    }

    @Test
    void runPrintsGeneratedIds() {
        String[] r = run("run", "--model", "synthetic:llama-tiny", "--raw-tokens", "[1,2,3]", "--max-tokens", "5");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1].trim()).matches("\\[\\d+(, \\d+){4}\\]");
        assertThat(r[2]).contains("tok/s");
    }
}
