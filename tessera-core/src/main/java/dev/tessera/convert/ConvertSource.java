package dev.tessera.convert;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.TesseraException;
import dev.tessera.io.Bundle;
import dev.tessera.io.CheckpointWeights;
import dev.tessera.io.HfConfig;
import dev.tessera.io.Json;
import dev.tessera.io.WeightSource;
import dev.tessera.model.synthetic.Synthetic;
import dev.tessera.model.synthetic.SyntheticWeights;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Quantizer;
import dev.tessera.tensor.Tensor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What a conversion reads: a Hugging Face checkpoint folder or a {@code synthetic:<preset>} model. Gives the full
 * config, the weights to build the model from (to learn which tensors it uses and how), each tensor's rows as exact
 * fp32, the tokenizer files, and provenance.
 */
abstract class ConvertSource implements AutoCloseable {
    /** Tokenizer-side files a checkpoint may carry; copied byte for byte when present. */
    static final List<String> TOKENIZER_FILES = List.of("tokenizer.json", "tokenizer_config.json",
            "generation_config.json", "special_tokens_map.json", "chat_template.jinja", "chat_template.json",
            "added_tokens.json", "vocab.json", "merges.txt", "tokenizer.model", "vocab.txt");

    abstract String spec();

    /** The full config.json content. */
    abstract HfConfig config();

    /** Weights to build the model over while planning (cheap: mapped, or allocated but not generated). */
    abstract WeightSource weights();

    abstract List<Path> tokenizerFiles();

    abstract ObjectNode provenance();

    /** Stored dtype and shape of a tensor the model requested. */
    abstract Tensor describe(String name);

    /** Rows (last dimension) of a float tensor, widened exactly to fp32. */
    abstract Quantizer.RowSource rows(String name);

    /** The tensor's bytes exactly as stored. */
    abstract void copy(String name, OutputStream out) throws IOException;

    @Override
    public abstract void close();

    static ConvertSource open(String spec) {
        if (Synthetic.isSynthetic(spec)) {
            return new SyntheticSource(spec);
        }
        Path dir = Path.of(spec);
        if (!Files.exists(dir)) {
            throw new TesseraException.InvalidInput("source not found: " + dir
                    + " (give a Hugging Face checkpoint folder with config.json and *.safetensors, or synthetic:<preset>)");
        }
        if (!Files.isDirectory(dir)) {
            throw new TesseraException.InvalidInput("source " + dir + " is not a folder (give a checkpoint folder or synthetic:<preset>)");
        }
        if (Bundle.isBundle(dir)) {
            throw new TesseraException.InvalidInput(dir + " is already a Tessera bundle; convert from the original "
                    + "checkpoint (quantizing twice would compound the error)");
        }
        if (!Files.isRegularFile(dir.resolve("config.json"))) {
            throw new TesseraException.InvalidInput("no config.json in " + dir + ": not a Hugging Face checkpoint folder");
        }
        return new CheckpointSource(dir);
    }

    /** A checkpoint folder: weights memory-mapped, rows widened from the mapped bytes. */
    static final class CheckpointSource extends ConvertSource {
        private final Path dir;
        private final HfConfig config;
        private final CheckpointWeights weights;

        CheckpointSource(Path dir) {
            this.dir = dir;
            this.config = HfConfig.read(dir.resolve("config.json"));
            this.weights = CheckpointWeights.open(dir);
        }

        @Override
        String spec() {
            return dir.toString();
        }

        @Override
        HfConfig config() {
            return config;
        }

        @Override
        WeightSource weights() {
            return weights;
        }

        @Override
        List<Path> tokenizerFiles() {
            Set<Path> out = new LinkedHashSet<>();
            for (String n : TOKENIZER_FILES) {
                if (Files.isRegularFile(dir.resolve(n))) {
                    out.add(dir.resolve(n));
                }
            }
            try (Stream<Path> s = Files.list(dir)) {
                s.filter(p -> p.getFileName().toString().endsWith(".jinja") && Files.isRegularFile(p)).sorted().forEach(out::add);
            } catch (IOException e) {
                throw new TesseraException.InvalidInput("cannot list " + dir + ": " + e.getMessage());
            }
            return new ArrayList<>(out);
        }

        /** Model id and revision: the Hugging Face cache layout says both; else _name_or_path or the folder name. */
        @Override
        ObjectNode provenance() {
            ObjectNode p = Json.MAPPER.createObjectNode();
            p.put("kind", "checkpoint");
            Path abs = dir.toAbsolutePath().normalize();
            p.put("path", abs.toString());
            Matcher m = Pattern.compile(".*/models--([^/]+)--([^/]+)/snapshots/([0-9a-fA-F]+)/?$").matcher(abs.toString());
            String nameOrPath = config.string("_name_or_path", "");
            if (m.matches()) {
                p.put("model_id", m.group(1) + "/" + m.group(2));
                p.put("revision", m.group(3));
            } else {
                p.put("model_id", !nameOrPath.isBlank() ? nameOrPath : abs.getFileName().toString());
                p.putNull("revision");
            }
            return p;
        }

        @Override
        Tensor describe(String name) {
            return weights.tensor(name);
        }

        @Override
        Quantizer.RowSource rows(String name) {
            Tensor t = weights.tensor(name);
            if (t.rank() == 2 && t.dtype().isFloat() && t.dtype() != DType.F64) {
                var m = t.asMatrix();
                return (r, dst) -> m.row(r, dst, 0);
            }
            int rowLen = t.rank() == 0 ? 1 : t.dim(t.rank() - 1);
            return (r, dst) -> {
                for (int c = 0; c < rowLen; c++) {
                    dst[c] = t.getFloat((long) r * rowLen + c);
                }
            };
        }

        @Override
        void copy(String name, OutputStream out) throws IOException {
            var seg = weights.tensor(name).data();
            byte[] buf = new byte[1 << 20];
            for (long off = 0; off < seg.byteSize(); off += buf.length) {
                int n = (int) Math.min(buf.length, seg.byteSize() - off);
                java.lang.foreign.MemorySegment.copy(seg, java.lang.foreign.ValueLayout.JAVA_BYTE, off, buf, 0, n);
                out.write(buf, 0, n);
            }
        }

        @Override
        public void close() {
            weights.close();
        }
    }

    /**
     * {@code synthetic:<preset>[@bf16|@fp16|@f32]}: planned over unfilled weights; each tensor's values are generated
     * again row by row while writing, so no copy of the model is ever held in memory.
     */
    static final class SyntheticSource extends ConvertSource {
        private final String spec;
        private final Synthetic.Spec parsed;
        private final SyntheticWeights weights;

        SyntheticSource(String spec) {
            this.spec = spec;
            this.parsed = Synthetic.parse(spec);
            DType dtype = switch (parsed.weights()) {
                case "bf16" -> DType.BF16;
                case "fp16", "f16" -> DType.F16;
                case "f32", "fp32" -> DType.F32;
                default -> throw new TesseraException.InvalidInput("convert reads synthetic:<preset> in bf16, fp16 or f32, not @"
                        + parsed.weights() + " (choose the quantization with --quant)");
            };
            this.weights = new SyntheticWeights(parsed.preset(), Synthetic.SEED, dtype, null, false);
        }

        @Override
        String spec() {
            return spec;
        }

        @Override
        HfConfig config() {
            return new HfConfig(parsed.preset().config(), spec + " config");
        }

        @Override
        WeightSource weights() {
            return weights;
        }

        @Override
        List<Path> tokenizerFiles() {
            return List.of();
        }

        @Override
        ObjectNode provenance() {
            ObjectNode p = Json.MAPPER.createObjectNode();
            p.put("kind", "synthetic");
            p.put("model_id", Synthetic.PREFIX + parsed.preset().name());
            p.put("preset", parsed.preset().name());
            p.put("seed", Synthetic.SEED);
            p.put("weights", parsed.weights());
            p.putNull("revision");
            return p;
        }

        @Override
        Tensor describe(String name) {
            return weights.tensor(name);
        }

        @Override
        Quantizer.RowSource rows(String name) {
            return weights.rowSource(name, weights.tensor(name).shape());
        }

        @Override
        void copy(String name, OutputStream out) throws IOException {
            Tensor t = weights.tensor(name);
            int rowLen = t.rank() == 0 ? 1 : t.dim(t.rank() - 1);
            long rows = t.numel() / Math.max(1, rowLen);
            Quantizer.RowSource src = rows(name);
            float[] row = new float[rowLen];
            ByteBuffer buf = ByteBuffer.allocate(rowLen * t.dtype().bytes()).order(ByteOrder.LITTLE_ENDIAN);
            for (int r = 0; r < rows; r++) {
                src.row(r, row);
                buf.clear();
                Encoding.encode(row, rowLen, t.dtype(), buf, name);
                out.write(buf.array(), 0, buf.position());
            }
        }

        @Override
        public void close() {
            weights.close();
        }
    }
}
