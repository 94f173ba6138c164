package dev.tessera.convert;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.io.Json;
import dev.tessera.io.SafeTensorsFile;
import dev.tessera.io.SafeTensorsWriter;
import dev.tessera.io.WeightSource;
import dev.tessera.tensor.Matrix;
import dev.tessera.tensor.Quantizer;
import dev.tessera.tensor.Tensor;
import dev.tessera.testing.Golden;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/** Checkpoint folders for bundle tests, built from the goldens plus real tokenizer files. */
final class BundleFixtures {
    private BundleFixtures() {}

    /**
     * A checkpoint folder with the golden's config and weights (only model.safetensors: the golden folder also holds
     * expected.safetensors) and the Nanbeige tokenizer files, optionally re-tied (lm_head dropped).
     */
    static Path checkpoint(Path dir, String golden, boolean tie) throws IOException {
        Path src = Golden.dir(golden);
        Files.createDirectories(dir);
        ObjectNode config = (ObjectNode) Json.read(src.resolve("config.json"));
        if (tie) {
            config.put("tie_word_embeddings", true);
        }
        Files.writeString(dir.resolve("config.json"), Json.MAPPER.writeValueAsString(config));
        if (!tie) {
            Files.copy(src.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        } else {
            try (SafeTensorsFile f = SafeTensorsFile.open(src.resolve("model.safetensors"))) {
                List<SafeTensorsWriter.Item> items = new ArrayList<>();
                for (var e : f.entries().values()) {
                    if (e.name().equals("lm_head.weight")) {
                        continue;
                    }
                    Tensor t = f.tensor(e.name());
                    items.add(new SafeTensorsWriter.Item(e.name(), e.dtype(), e.shape(),
                            o -> o.write(t.data().toArray(ValueLayout.JAVA_BYTE))));
                }
                SafeTensorsWriter.write(dir.resolve("model.safetensors"), null, items);
            }
        }
        Path tok = Golden.root().resolve("tokenizer").resolve("nanbeige4");
        Files.copy(tok.resolve("chat_template.jinja"), dir.resolve("chat_template.jinja"));
        Files.copy(tok.resolve("tokenizer_config.json"), dir.resolve("tokenizer_config.json"));
        try (InputStream in = new GZIPInputStream(Files.newInputStream(tok.resolve("tokenizer.json.gz")))) {
            Files.copy(in, dir.resolve("tokenizer.json"));
        }
        Files.writeString(dir.resolve("generation_config.json"), "{\"bos_token_id\": 1, \"eos_token_id\": [2, 7]}\n");
        return dir;
    }

    /** Serves every matrix of a source dequantized to F32: the fp32 path on the quantized weights. */
    static final class Dequantized implements WeightSource {
        private final WeightSource inner;
        private final Arena arena = Arena.ofShared();

        Dequantized(WeightSource inner) {
            this.inner = inner;
        }

        @Override
        public String describe() {
            return inner.describe() + " (dequantized)";
        }

        @Override
        public Set<String> names() {
            return inner.names();
        }

        @Override
        public boolean has(String name) {
            return inner.has(name);
        }

        @Override
        public Tensor tensor(String name) {
            return inner.tensor(name);
        }

        @Override
        public Matrix matrix(String module, int rows, int cols) {
            Matrix m = inner.matrix(module, rows, cols);
            return m.format().startsWith("Q") ? Quantizer.dequantize(m, arena) : m;
        }

        @Override
        public void close() {
            arena.close();
            inner.close();
        }
    }

    static boolean leftovers(Path parent, String name) throws IOException {
        try (var s = Files.list(parent)) {
            return s.anyMatch(p -> p.getFileName().toString().startsWith("." + name + ".tmp-") || p.getFileName().toString().equals(name));
        }
    }
}
