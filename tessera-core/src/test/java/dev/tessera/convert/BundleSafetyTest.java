package dev.tessera.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.TesseraException;
import dev.tessera.io.QuantScheme;
import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Interrupted and failed conversions leave nothing; outputs are not overwritten by accident; verify catches damage. */
class BundleSafetyTest {
    @TempDir
    Path tmp;

    @Test
    void aFailingConversionLeavesNothing() throws Exception {
        Path src = BundleFixtures.checkpoint(tmp.resolve("src"), "llama-tiny", false);
        Path out = tmp.resolve("out");
        Converter c = new Converter(src.toString(), out, QuantScheme.INT8HU, false, (done, total, current) -> {
            throw new IllegalStateException("disk full (simulated)");
        });
        assertThatThrownBy(c::run).hasMessageContaining("disk full");
        assertThat(BundleFixtures.leftovers(tmp, "out")).isFalse();
    }

    @Test
    void anInterruptedConversionLeavesNothing() throws Exception {
        Path out = tmp.resolve("out");
        AtomicReference<Converter> ref = new AtomicReference<>();
        // The shutdown hook's call, made while the weights are being written: it removes the temporary folder and
        // the conversion stops at its next write.
        Converter c = new Converter("synthetic:llama-tiny", out, QuantScheme.INT4HU, false,
                (done, total, current) -> ref.get().cancel(0));
        ref.set(c);
        assertThatThrownBy(c::run).isInstanceOf(Converter.Cancelled.class).hasMessageContaining("interrupted");
        assertThat(BundleFixtures.leftovers(tmp, "out")).isFalse();
    }

    @Test
    void existingOutputNeedsForceAndOnlyABundleIsReplaced() throws Exception {
        Path out = tmp.resolve("out");
        new Converter("synthetic:llama-tiny", out, QuantScheme.INT8LIN, false, null).run();
        assertThatThrownBy(() -> new Converter("synthetic:llama-tiny", out, QuantScheme.INT8HU, false, null).run())
                .isInstanceOf(TesseraException.InvalidInput.class).hasMessageContaining("--force");
        new Converter("synthetic:llama-tiny", out, QuantScheme.INT8HU, true, null).run();
        assertThat(dev.tessera.io.Bundle.open(out).scheme()).isEqualTo(QuantScheme.INT8HU);
        Path precious = tmp.resolve("precious");
        Files.createDirectories(precious);
        Files.writeString(precious.resolve("notes.txt"), "keep me");
        assertThatThrownBy(() -> new Converter("synthetic:llama-tiny", precious, QuantScheme.INT8HU, true, null).run())
                .hasMessageContaining("refusing");
        assertThat(precious.resolve("notes.txt")).exists();
    }

    @Test
    void badInputsGiveClearErrors() {
        assertThatThrownBy(() -> QuantScheme.parse("int3")).hasMessageContaining("available: bf16, fp16, int8lin");
        assertThatThrownBy(() -> new Converter(tmp.resolve("nope").toString(), tmp.resolve("o"), QuantScheme.INT8HU, false, null).run())
                .isInstanceOf(TesseraException.InvalidInput.class).hasMessageContaining("source not found");
        assertThatThrownBy(() -> new Converter("synthetic:llama-tiny@int8hu", tmp.resolve("o"), QuantScheme.INT8HU, false, null).run())
                .hasMessageContaining("--quant");
        assertThatThrownBy(() -> new Converter("synthetic:llama-tiny", tmp.resolve("missing/dir/o"), QuantScheme.INT8HU, false, null).run())
                .hasMessageContaining("does not exist");
    }

    @Test
    void verifyPassesAnIntactBundleAndCatchesEveryKindOfDamage() throws Exception {
        Path src = BundleFixtures.checkpoint(tmp.resolve("src"), "llama-tiny", false);
        Path out = tmp.resolve("b");
        new Converter(src.toString(), out, QuantScheme.INT8HU, false, null).run();
        assertThat(Verifier.verify(out, src.toString(), m -> {})).isEmpty();
        assertThat(Verifier.verify(out, null, m -> {})).isEmpty();

        // One flipped byte in the middle of the weights.
        Path w = out.resolve("weights.safetensors");
        long pos = Files.size(w) / 2;
        flip(w, pos);
        assertThat(Verifier.verify(out, null, m -> {})).anySatisfy(p -> assertThat(p).contains("weights.safetensors is damaged"));
        flip(w, pos);
        assertThat(Verifier.verify(out, null, m -> {})).isEmpty();

        // A changed chat template in the bundle: damaged (hash) and, against the source, not identical.
        Path tpl = out.resolve("tokenizer/chat_template.jinja");
        byte[] original = Files.readAllBytes(tpl);
        Files.writeString(tpl, "{{ messages }}");
        List<String> problems = Verifier.verify(out, src.toString(), m -> {});
        assertThat(problems).anySatisfy(p -> assertThat(p).contains("tokenizer/chat_template.jinja"));
        assertThat(problems).anySatisfy(p -> assertThat(p).contains("chat template tokenizer/chat_template.jinja differs"));
        Files.write(tpl, original);

        // A stray file, and a source whose tokenizer changed since.
        Files.writeString(out.resolve("stray.txt"), "x");
        assertThat(Verifier.verify(out, null, m -> {})).containsExactly("file stray.txt is not listed in metadata.json");
        Files.delete(out.resolve("stray.txt"));
        Files.writeString(src.resolve("tokenizer_config.json"), "{}", StandardOpenOption.TRUNCATE_EXISTING);
        assertThat(Verifier.verify(out, src.toString(), m -> {})).anySatisfy(p -> assertThat(p).contains("tokenizer/tokenizer_config.json differs"));

        // A source with another context length.
        Path other = BundleFixtures.checkpoint(tmp.resolve("other"), "llama-tiny", false);
        String cfg = Files.readString(other.resolve("config.json")).replace("4096", "2048");
        Files.writeString(other.resolve("config.json"), cfg);
        assertThat(Verifier.verify(out, other.toString(), m -> {})).anySatisfy(p -> assertThat(p).contains("context length: source 2048, bundle 4096"));
    }

    private static void flip(Path file, long pos) throws Exception {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, pos);
            b.put(0, (byte) (b.get(0) ^ 0x10));
            b.rewind();
            ch.write(b, pos);
        }
    }
}
