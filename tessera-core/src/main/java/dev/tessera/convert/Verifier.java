package dev.tessera.convert;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tessera.TesseraException;
import dev.tessera.io.Bundle;
import dev.tessera.io.Hashing;
import dev.tessera.io.HfConfig;
import dev.tessera.io.SafeTensorsFile;
import dev.tessera.model.LoadOptions;
import dev.tessera.model.Model;
import dev.tessera.model.ModelInfo;
import dev.tessera.model.Models;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Quantizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * {@code tessera verify}: re-hashes every file of a bundle, checks the metadata against the files (file list and
 * sizes, every tensor's stored names, dtypes and shapes, that the model builds), and with a source also that the
 * tokenizer files and chat template are byte-identical and vocabulary, context length and config match.
 */
public final class Verifier {
    private Verifier() {}

    /** The problems found (empty: the bundle is intact); {@code log} hears each check as it passes. */
    public static List<String> verify(Path dir, String source, Consumer<String> log) {
        List<String> problems = new ArrayList<>();
        Bundle b;
        try {
            b = Bundle.open(dir);
        } catch (TesseraException e) {
            problems.add(e.getMessage());
            return problems;
        }
        checkFiles(b, problems, log);
        ModelInfo info = null;
        if (problems.isEmpty()) {
            checkTensors(b, problems);
            if (problems.isEmpty()) {
                try (Model m = Models.loadBundle(b, new LoadOptions(1, 0))) {
                    info = m.info();
                    JsonNode md = b.metadata();
                    if (md.path("vocab_size").asInt() != info.vocabSize() || md.path("context_length").asInt() != info.contextLength()
                            || md.path("decode_bytes_per_token").asLong() != info.decodeBytesPerToken()) {
                        problems.add("metadata says vocab " + md.path("vocab_size") + ", context " + md.path("context_length")
                                + ", decode bytes " + md.path("decode_bytes_per_token") + " but the model built from the bundle has "
                                + info.vocabSize() + ", " + info.contextLength() + ", " + info.decodeBytesPerToken());
                    } else {
                        log.accept("model builds: " + info.architecture() + ", vocab " + info.vocabSize() + ", context " + info.contextLength());
                    }
                } catch (TesseraException e) {
                    problems.add("the model does not build from the bundle: " + e.getMessage());
                }
            }
        }
        if (source != null) {
            checkSource(b, source, info, problems, log);
        }
        return problems;
    }

    private static void checkFiles(Bundle b, List<String> problems, Consumer<String> log) {
        Set<String> listed = new HashSet<>(b.files().keySet());
        if (!listed.contains(Bundle.WEIGHTS)) {
            problems.add("metadata.json does not list " + Bundle.WEIGHTS);
        }
        for (Bundle.FileInfo f : b.files().values()) {
            Path p = b.dir().resolve(f.path());
            if (!Files.isRegularFile(p)) {
                problems.add("missing file " + f.path() + " (listed in metadata.json)");
                continue;
            }
            long size;
            try {
                size = Files.size(p);
            } catch (IOException e) {
                problems.add("cannot read " + f.path() + ": " + e.getMessage());
                continue;
            }
            if (size != f.bytes()) {
                problems.add(f.path() + " is " + size + " bytes but metadata.json says " + f.bytes());
                continue;
            }
            String sha = Hashing.sha256(p);
            if (!sha.equals(f.sha256())) {
                problems.add(f.path() + " is damaged: sha256 " + sha + " but metadata.json says " + f.sha256());
            } else {
                log.accept("sha256 ok: " + f.path());
            }
        }
        try (Stream<Path> s = Files.walk(b.dir())) {
            s.filter(Files::isRegularFile).map(p -> b.dir().relativize(p).toString().replace('\\', '/'))
                    .filter(rel -> !rel.equals(Bundle.METADATA) && !listed.contains(rel)).sorted()
                    .forEach(rel -> problems.add("file " + rel + " is not listed in metadata.json"));
        } catch (IOException e) {
            problems.add("cannot list " + b.dir() + ": " + e.getMessage());
        }
    }

    /** Every tensor the metadata describes is stored as described, and nothing else is stored. */
    private static void checkTensors(Bundle b, List<String> problems) {
        try (SafeTensorsFile f = SafeTensorsFile.open(b.dir().resolve(Bundle.WEIGHTS))) {
            Set<String> expected = new HashSet<>();
            for (var it = b.metadata().path("quantization").path("tensors").properties().iterator(); it.hasNext(); ) {
                var e = it.next();
                String key = e.getKey();
                JsonNode d = e.getValue();
                long[] shape = new long[d.path("shape").size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = d.path("shape").get(i).asLong();
                }
                String format = d.path("format").asText();
                Map<String, Object[]> want = new LinkedHashMap<>();
                if (format.equals("Q8_32") || format.equals("Q4_32")) {
                    int bits = format.equals("Q8_32") ? 8 : 4;
                    if (shape.length != 2) {
                        problems.add("metadata: quantized tensor " + key + " must be 2-D, has shape " + Arrays.toString(shape));
                        continue;
                    }
                    int cols = (int) shape[1];
                    want.put(key + ".qweight", new Object[] {bits == 8 ? DType.I8 : DType.U8,
                            new long[] {shape[0], Quantizer.rowBytes(bits, cols)}});
                    want.put(key + ".scales", new Object[] {DType.F16, new long[] {shape[0], Quantizer.scalesPerRow(cols)}});
                } else {
                    DType dt;
                    try {
                        dt = DType.valueOf(format);
                    } catch (IllegalArgumentException ex) {
                        problems.add("metadata: tensor " + key + " has unknown format " + format);
                        continue;
                    }
                    want.put(key, new Object[] {dt, shape});
                }
                for (var w : want.entrySet()) {
                    expected.add(w.getKey());
                    var entry = f.entries().get(w.getKey());
                    if (entry == null) {
                        problems.add("tensor " + w.getKey() + " is described in metadata.json but missing from " + Bundle.WEIGHTS);
                    } else if (entry.dtype() != w.getValue()[0] || !Arrays.equals(entry.shape(), (long[]) w.getValue()[1])) {
                        problems.add("tensor " + w.getKey() + " is " + entry.dtype() + " " + Arrays.toString(entry.shape())
                                + " but metadata.json implies " + w.getValue()[0] + " " + Arrays.toString((long[]) w.getValue()[1]));
                    }
                }
            }
            for (String n : f.entries().keySet()) {
                if (!expected.contains(n)) {
                    problems.add("tensor " + n + " is stored but not described in metadata.json");
                }
            }
        } catch (TesseraException e) {
            problems.add(e.getMessage());
        }
    }

    private static void checkSource(Bundle b, String source, ModelInfo info, List<String> problems, Consumer<String> log) {
        try (ConvertSource src = ConvertSource.open(source)) {
            // Tokenizer files and chat template, byte for byte.
            Map<String, Path> srcTok = new LinkedHashMap<>();
            for (Path p : src.tokenizerFiles()) {
                srcTok.put(Bundle.TOKENIZER_DIR + "/" + p.getFileName(), p);
            }
            for (var e : srcTok.entrySet()) {
                Path mine = b.dir().resolve(e.getKey());
                String what = e.getKey().endsWith(".jinja") ? "chat template " + e.getKey() : e.getKey();
                if (!Files.isRegularFile(mine)) {
                    problems.add(what + " is in the source but not in the bundle");
                } else if (!Hashing.sha256(mine).equals(Hashing.sha256(e.getValue()))) {
                    problems.add(what + " differs from the source's " + e.getValue());
                } else {
                    log.accept("identical to the source: " + e.getKey());
                }
            }
            for (String rel : b.files().keySet()) {
                if (rel.startsWith(Bundle.TOKENIZER_DIR + "/") && !srcTok.containsKey(rel)) {
                    problems.add(rel + " is in the bundle but not in the source");
                }
            }
            JsonNode ct = b.metadata().path("chat_template");
            boolean srcHasTemplate = Converter.chatTemplate(srcTok).path("present").asBoolean();
            if (ct.path("present").asBoolean() != srcHasTemplate) {
                problems.add("chat template: the source " + (srcHasTemplate ? "has" : "has none") + " but the bundle's metadata says present="
                        + ct.path("present").asBoolean());
            }
            // Config, vocabulary and context length.
            HfConfig config = src.config();
            // Numbers compare by value: 1e-05 written back may read as 0.00001 (another BigDecimal scale).
            java.util.Comparator<JsonNode> byValue = (x, y) -> x.isNumber() && y.isNumber()
                    ? x.decimalValue().compareTo(y.decimalValue()) : x.equals(y) ? 0 : 1;
            if (!config.json().equals(byValue, b.metadata().path("source_config"))) {
                problems.add("the source's config.json differs from the config the bundle was converted from");
            }
            try (Model m = Models.build(config, new Recorder(src.weights()), new LoadOptions(1, 0))) {
                ModelInfo s = m.info();
                JsonNode md = b.metadata();
                if (s.vocabSize() != md.path("vocab_size").asInt()) {
                    problems.add("vocabulary: source " + s.vocabSize() + ", bundle " + md.path("vocab_size"));
                }
                if (s.contextLength() != md.path("context_length").asInt()) {
                    problems.add("context length: source " + s.contextLength() + ", bundle " + md.path("context_length"));
                }
                if (!s.architecture().equals(b.architecture())) {
                    problems.add("architecture: source " + s.architecture() + ", bundle " + b.architecture());
                }
                log.accept("source matches: " + s.architecture() + ", vocab " + s.vocabSize() + ", context " + s.contextLength());
            }
        } catch (TesseraException e) {
            problems.add("source " + source + ": " + e.getMessage());
        }
    }
}
