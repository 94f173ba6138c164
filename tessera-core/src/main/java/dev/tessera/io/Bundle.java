package dev.tessera.io;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tessera.TesseraException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Tessera bundle: a folder holding {@code metadata.json} (format, architecture, the source's full config and the
 * config the model is built from, provenance, quantization per tensor, context length, stop tokens, chat template,
 * bytes read per decode token, the sha256 of every other file), {@code tokenizer/} (the source's tokenizer files,
 * byte for byte) and {@code weights.safetensors} (quantized matrices as {@code <module>.qweight} +
 * {@code <module>.scales}, everything else under its source name). Any safetensors tool can open the weights.
 */
public final class Bundle {
    public static final String FORMAT = "tessera-bundle";
    public static final int VERSION = 1;
    public static final String METADATA = "metadata.json";
    public static final String WEIGHTS = "weights.safetensors";
    public static final String TOKENIZER_DIR = "tokenizer";

    /** One file of the bundle as metadata.json records it. */
    public record FileInfo(String path, long bytes, String sha256) {}

    private final Path dir;
    private final JsonNode metadata;
    private final HfConfig config;
    private final QuantScheme scheme;
    private final Map<String, FileInfo> files;

    private Bundle(Path dir, JsonNode metadata, HfConfig config, QuantScheme scheme, Map<String, FileInfo> files) {
        this.dir = dir;
        this.metadata = metadata;
        this.config = config;
        this.scheme = scheme;
        this.files = files;
    }

    /** A folder with a metadata.json that declares the bundle format. */
    public static boolean isBundle(Path dir) {
        Path m = dir.resolve(METADATA);
        if (!Files.isRegularFile(m)) {
            return false;
        }
        try {
            JsonNode root = Json.read(m);
            return root != null && FORMAT.equals(root.path("format").asText());
        } catch (TesseraException e) {
            return false;
        }
    }

    public static Bundle open(Path dir) {
        Path m = dir.resolve(METADATA);
        if (!Files.isRegularFile(m)) {
            throw new TesseraException.InvalidInput("not a Tessera bundle: " + dir + " has no " + METADATA);
        }
        JsonNode root = Json.read(m);
        String where = m.toString();
        if (!FORMAT.equals(root.path("format").asText())) {
            throw new TesseraException.InvalidInput(where + ": 'format' must be \"" + FORMAT + "\"");
        }
        int version = root.path("format_version").asInt(-1);
        if (version != VERSION) {
            throw new TesseraException.Unsupported(where + ": bundle format version " + version + " is not supported by"
                    + " this build (it reads version " + VERSION + "); re-convert the model with this Tessera");
        }
        JsonNode cfg = root.get("config");
        if (cfg == null || !cfg.isObject()) {
            throw new TesseraException.InvalidInput(where + ": missing object 'config'");
        }
        QuantScheme scheme = QuantScheme.parse(root.path("quantization").path("scheme").asText("?"));
        Map<String, FileInfo> files = new LinkedHashMap<>();
        JsonNode fs = root.get("files");
        if (fs == null || !fs.isObject()) {
            throw new TesseraException.InvalidInput(where + ": missing object 'files'");
        }
        for (var it = fs.properties().iterator(); it.hasNext(); ) {
            var e = it.next();
            String rel = e.getKey();
            if (rel.startsWith("/") || rel.contains("..") || rel.contains("\\")) {
                throw new TesseraException.InvalidInput(where + ": file entry '" + rel + "' must be a relative path inside the bundle");
            }
            files.put(rel, new FileInfo(rel, e.getValue().path("bytes").asLong(-1), e.getValue().path("sha256").asText("")));
        }
        return new Bundle(dir, root, new HfConfig(cfg, where + " → config"), scheme, Collections.unmodifiableMap(files));
    }

    public Path dir() {
        return dir;
    }

    public JsonNode metadata() {
        return metadata;
    }

    /** The config the model is built from (the source config; untied when the scheme stored a separate head). */
    public HfConfig config() {
        return config;
    }

    public QuantScheme scheme() {
        return scheme;
    }

    public String architecture() {
        return metadata.path("architecture").asText();
    }

    public Map<String, FileInfo> files() {
        return files;
    }

    /**
     * Opens weights.safetensors as a memory map; int8 matrices come out as tiled copies (the layout decode runs on,
     * {@link dev.tessera.tensor.Q8Matrix}), everything else as views.
     */
    public BundleWeights openWeights() {
        return openWeights(true);
    }

    /**
     * @param runLayout false: int8 matrices stay views in the stored row-major layout (correct, slower to decode);
     *                  for building a model only to describe it ({@code inspect}, the converter's self-check)
     */
    public BundleWeights openWeights(boolean runLayout) {
        Map<String, Integer> cols = new LinkedHashMap<>();
        for (var it = metadata.path("quantization").path("tensors").properties().iterator(); it.hasNext(); ) {
            var e = it.next();
            JsonNode shape = e.getValue().path("shape");
            if (e.getValue().path("format").asText().startsWith("Q") && shape.isArray() && shape.size() == 2) {
                cols.put(e.getKey(), shape.get(1).asInt());
            }
        }
        return new BundleWeights(dir, SafeTensorsFile.open(dir.resolve(WEIGHTS)), cols, runLayout);
    }

    /** The weights of a bundle. */
    public static final class BundleWeights implements WeightSource {
        private final Path dir;
        private final SafeTensorsFile file;
        private final Map<String, Integer> quantizedCols;
        private final java.lang.foreign.Arena derived;

        /**
         * @param quantizedCols module → columns of its quantized matrix (from the metadata)
         * @param runLayout     whether int8 matrices are copied into the tiled layout ({@link Bundle#openWeights(boolean)})
         */
        public BundleWeights(Path dir, SafeTensorsFile file, Map<String, Integer> quantizedCols, boolean runLayout) {
            this.dir = dir;
            this.file = file;
            this.quantizedCols = quantizedCols;
            this.derived = runLayout ? java.lang.foreign.Arena.ofShared() : null;
        }

        public SafeTensorsFile file() {
            return file;
        }

        @Override
        public String describe() {
            return dir.toString();
        }

        @Override
        public java.util.Set<String> names() {
            return file.entries().keySet();
        }

        @Override
        public boolean has(String name) {
            return file.has(name);
        }

        @Override
        public dev.tessera.tensor.Tensor tensor(String name) {
            if (!file.has(name)) {
                throw new TesseraException.InvalidInput("missing tensor '" + name + "' in bundle " + dir);
            }
            return file.tensor(name);
        }

        @Override
        public int quantizedCols(String module) {
            return quantizedCols.getOrDefault(module, 0);
        }

        @Override
        public java.lang.foreign.Arena derivedArena() {
            return derived;
        }

        @Override
        public void close() {
            try {
                file.close();
            } finally {
                if (derived != null) {
                    derived.close();
                }
            }
        }
    }
}
