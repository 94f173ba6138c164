package dev.tessera.jmh;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encoding speed on the golden tokenizers: the 5,000-character mixed golden case ({@code long_5000}) and a 1 MB
 * text made by concatenating all golden case texts of the folder in file order until 1,000,000 chars
 * (deterministic; prose, code, many scripts, emoji). MB/s = UTF-8 bytes / time; the setup prints the byte and
 * token counts to convert ops/s into MB/s and tokens/s. The word cache is warm after the first iteration, as it
 * is in a long-running server.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -jar tessera-jmh/target/tessera-benchmarks.jar
 * TokenizerBench -wi 2 -i 3 -f 1} (golden data located via -Dtessera.golden or ../shared/golden).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xss4m"})
public class TokenizerBench {
    @Param({"qwen3", "nanbeige4"})
    public String folder;

    private Tokenizer tokenizer;
    private String text5k;
    private String text1mb;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        Path dir = goldenRoot().resolve("tokenizer").resolve(folder);
        tokenizer = Tokenizer.load(dir);
        ObjectMapper json = new ObjectMapper();
        StringBuilder corpus = new StringBuilder();
        for (String line : Files.readAllLines(dir.resolve("cases.jsonl"))) {
            if (line.isBlank()) continue;
            JsonNode c = json.readTree(line);
            String t = c.get("text").asText();
            if (c.get("name").asText().equals("long_5000")) text5k = t;
            corpus.append(t).append('\n');
        }
        if (text5k == null) throw new IllegalStateException("no long_5000 case in " + dir);
        StringBuilder mb = new StringBuilder(1_000_100);
        while (mb.length() < 1_000_000) mb.append(corpus);
        int end = 1_000_000;
        if (Character.isHighSurrogate(mb.charAt(end - 1))) end--;
        text1mb = mb.substring(0, end);
        System.err.printf("%n[%s] 5k: %d UTF-8 bytes, %d tokens; 1MB: %d UTF-8 bytes, %d tokens%n", folder,
                text5k.getBytes(StandardCharsets.UTF_8).length, tokenizer.encode(text5k, false).length,
                text1mb.getBytes(StandardCharsets.UTF_8).length, tokenizer.encode(text1mb, false).length);
    }

    @Benchmark
    public int[] encode5k() {
        return tokenizer.encode(text5k, false);
    }

    @Benchmark
    public int[] encode1mb() {
        return tokenizer.encode(text1mb, false);
    }

    @Benchmark
    public String decode1mb() {
        return tokenizer.decode(ids1mb(), false);
    }

    private int[] ids1mbCache;

    private int[] ids1mb() {
        if (ids1mbCache == null) ids1mbCache = tokenizer.encode(text1mb, false);
        return ids1mbCache;
    }

    private static Path goldenRoot() {
        String override = System.getProperty("tessera.golden", System.getenv("TESSERA_GOLDEN"));
        if (override != null) return Path.of(override);
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("shared/golden"))) return p.resolve("shared/golden");
            if (Files.isDirectory(p.resolveSibling("shared").resolve("golden"))) return p.resolveSibling("shared").resolve("golden");
        }
        throw new IllegalStateException("golden data not found: pass -Dtessera.golden=/path/to/shared/golden");
    }
}
