package dev.tessera.convert;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.TesseraException;
import dev.tessera.io.Bundle;
import dev.tessera.io.Hashing;
import dev.tessera.io.HfConfig;
import dev.tessera.io.Json;
import dev.tessera.io.QuantScheme;
import dev.tessera.io.QuantizedWeights;
import dev.tessera.io.SafeTensorsFile;
import dev.tessera.io.SafeTensorsWriter;
import dev.tessera.model.LoadOptions;
import dev.tessera.model.Model;
import dev.tessera.model.ModelInfo;
import dev.tessera.model.Models;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Quantizer;
import dev.tessera.tensor.Tensor;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code tessera convert}: a checkpoint (or synthetic model) to a bundle in one of the {@link QuantScheme}s.
 *
 * <p>Which tensors and how: the model is built over the source through a {@link Recorder}, so the architecture's
 * own loader says which tensors it uses and which it uses as matrices; matrices that are not embeddings are linear
 * layers (quantized in the int schemes), the head is {@code lm_head}. Tensors the model does not read (a vision
 * tower, an MTP head) are left out and listed in the metadata. One stored pair per source matrix, never fused.
 *
 * <p>Safety: everything is written into a temporary folder beside the output and renamed at the end, so an
 * interrupted or failed conversion leaves nothing behind ({@link #cancel} is what a shutdown hook calls); an
 * existing output is only replaced with {@code force}, and only if it is a bundle or an empty folder.
 */
public final class Converter {
    /** Progress of the write: bytes done of the total, and the tensor being written. */
    @FunctionalInterface
    public interface Listener {
        void progress(long done, long total, String current);
    }

    /** What a finished conversion produced. */
    public record Result(Path out, QuantScheme scheme, ModelInfo info, long weightsBytes, long sourceBytes,
                         List<String> dropped) {}

    private final String sourceSpec;
    private final Path out;
    private final QuantScheme scheme;
    private final boolean force;
    private final Listener listener;
    private volatile boolean cancelled;
    private volatile Path temp;
    private volatile String current = "";
    private final CountDownLatch finished = new CountDownLatch(1);

    public Converter(String sourceSpec, Path out, QuantScheme scheme, boolean force, Listener listener) {
        this.sourceSpec = sourceSpec;
        this.out = out.toAbsolutePath().normalize();
        this.scheme = scheme;
        this.force = force;
        this.listener = listener == null ? (d, t, c) -> {} : listener;
    }

    /** Thrown inside the conversion once {@link #cancel} was called. */
    public static final class Cancelled extends TesseraException {
        Cancelled() {
            super("conversion interrupted; nothing was written");
        }
    }

    /**
     * Asks a running conversion to stop, waits (up to {@code waitMillis}) for it to remove its temporary folder,
     * and removes it itself if the conversion did not get there. Safe to call from a shutdown hook.
     */
    public void cancel(long waitMillis) {
        cancelled = true;
        try {
            finished.await(waitMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Path t = temp;
        if (t != null) {
            deleteTree(t);
        }
    }

    private void checkCancelled() {
        if (cancelled) {
            throw new Cancelled();
        }
    }

    public Result run() {
        try {
            checkTarget();
            try (ConvertSource src = ConvertSource.open(sourceSpec)) {
                return convert(src);
            }
        } finally {
            Path t = temp;
            if (t != null) {
                deleteTree(t);
                temp = null;
            }
            finished.countDown();
        }
    }

    private void checkTarget() {
        if (Files.exists(out)) {
            if (!force) {
                throw new TesseraException.InvalidInput("output " + out + " already exists; choose another -o or pass --force to replace it");
            }
            if (!replaceable(out)) {
                throw new TesseraException.InvalidInput("output " + out + " exists and is neither a Tessera bundle nor an"
                        + " empty folder; refusing to delete it even with --force");
            }
        }
        Path parent = out.getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new TesseraException.InvalidInput("the folder that should hold " + out.getFileName() + " does not exist: " + parent);
        }
    }

    private static boolean replaceable(Path p) {
        if (Bundle.isBundle(p)) {
            return true;
        }
        if (Files.isDirectory(p)) {
            try (Stream<Path> s = Files.list(p)) {
                return s.findAny().isEmpty();
            } catch (IOException e) {
                return false;
            }
        }
        return false;
    }

    /** What to do with one source tensor. */
    private enum Kind { KEEP, CONVERT, QUANTIZE }

    private record Plan(String key, String source, Kind kind, int bits, DType target, Tensor src) {}

    private Result convert(ConvertSource src) {
        HfConfig config = src.config();
        // 1. Learn the tensors from the architecture's own loader.
        Recorder rec = new Recorder(src.weights());
        String architecture;
        try (Model m = Models.build(config, rec, new LoadOptions(1, 1))) {
            architecture = m.info().architecture();
        }
        checkCancelled();
        List<Plan> plans = new ArrayList<>();
        String embedding = null;
        boolean headUsed = rec.used.containsKey("lm_head.weight");
        for (var e : rec.used.entrySet()) {
            String name = e.getKey();
            Tensor t = src.describe(name);
            if (name.endsWith(QuantizedWeights.QWEIGHT) || name.endsWith(QuantizedWeights.SCALES)) {
                throw new TesseraException.InvalidInput(src.spec() + " already holds quantized tensors (" + name + ")");
            }
            boolean matrix = e.getValue() && name.endsWith(".weight");
            String module = matrix ? name.substring(0, name.length() - ".weight".length()) : null;
            if (matrix && QuantScheme.isEmbedding(module) && embedding == null) {
                embedding = name;
            }
            int bits = matrix && scheme.quantized() ? scheme.bitsFor(module) : 0;
            if (bits > 0) {
                plans.add(new Plan(module, name, Kind.QUANTIZE, bits, null, t));
            } else if (scheme.floatType() != null && t.rank() >= 2 && t.dtype().isFloat() && t.dtype() != scheme.floatType()) {
                plans.add(new Plan(name, name, Kind.CONVERT, 0, scheme.floatType(), t));
            } else {
                plans.add(new Plan(name, name, Kind.KEEP, 0, t.dtype(), t));
            }
        }
        ObjectNode effective = config.copy();
        String headNote;
        if (scheme.headBits() > 0 && !headUsed) {
            if (embedding == null) {
                throw new TesseraException.InvalidInput("scheme " + scheme + " stores a separate head, but the model's "
                        + "embedding matrix could not be identified (no *embed_tokens matrix)");
            }
            plans.add(new Plan("lm_head", embedding, Kind.QUANTIZE, scheme.headBits(), null, src.describe(embedding)));
            effective = QuantScheme.untiedConfig(effective);
            headNote = "untied int" + scheme.headBits() + " copy of the tied embedding " + embedding + " (embedding unquantized)";
        } else if (!headUsed) {
            headNote = "tied to the embedding " + embedding + " (" + (embedding == null ? "?" : src.describe(embedding).dtype()) + ")";
        } else {
            headNote = scheme.headBits() > 0 ? "untied int" + scheme.headBits() : "untied, " + plans.stream()
                    .filter(p -> p.source().equals("lm_head.weight")).findFirst().map(p -> p.kind() == Kind.KEEP
                            ? p.src().dtype().name() : p.target() == null ? "int" + p.bits() : p.target().name()).orElse("?");
        }
        List<String> dropped = new ArrayList<>();
        for (String n : src.weights().names()) {
            if (!rec.used.containsKey(n)) {
                dropped.add(n);
            }
        }
        // 2. Write into a temporary folder beside the output.
        Path tmp;
        try {
            tmp = Files.createTempDirectory(out.getParent(), "." + out.getFileName() + ".tmp-");
        } catch (IOException e) {
            throw new TesseraException.InvalidInput("cannot create a folder in " + out.getParent() + ": " + e.getMessage(), e);
        }
        temp = tmp;
        checkCancelled();
        List<SafeTensorsWriter.Item> items = new ArrayList<>();
        ObjectNode perTensor = Json.MAPPER.createObjectNode();
        long sourceBytes = 0;
        for (Plan p : plans) {
            sourceBytes += p.src().data().byteSize();
            items.addAll(items(src, p));
            ObjectNode d = perTensor.putObject(p.key());
            long[] shape = p.src().shape();
            if (p.kind() == Kind.QUANTIZE) {
                d.put("format", p.bits() == 8 ? "Q8_32" : "Q4_32");
                d.put("bits", p.bits());
                d.putArray("stored").add(p.key() + QuantizedWeights.QWEIGHT).add(p.key() + QuantizedWeights.SCALES);
            } else {
                d.put("format", p.target().name());
                d.putArray("stored").add(p.key());
            }
            ArrayNode sh = d.putArray("shape");
            for (long x : shape) {
                sh.add(x);
            }
            d.put("source", p.source());
            d.put("source_dtype", p.src().dtype().name());
        }
        long total = items.stream().mapToLong(SafeTensorsWriter.Item::bytes).sum();
        Path weightsFile = tmp.resolve(Bundle.WEIGHTS);
        MessageDigest md = Hashing.sha256();
        try (OutputStream fileOut = Files.newOutputStream(weightsFile);
             OutputStream progress = new ProgressStream(new DigestOutputStream(fileOut, md), total)) {
            List<SafeTensorsWriter.Item> named = items.stream().map(it -> new SafeTensorsWriter.Item(it.name(), it.dtype(),
                    it.shape(), o -> {
                        current = it.name();
                        it.body().writeTo(o);
                    })).toList();
            SafeTensorsWriter.write(progress, Map.of("format", Bundle.FORMAT, "scheme", scheme.id()), named);
        } catch (IOException e) {
            throw new TesseraException("cannot write " + weightsFile + ": " + e.getMessage(), e);
        }
        String weightsSha = Hashing.hex(md.digest());
        listener.progress(total, total, "tokenizer");
        // 3. Tokenizer files, byte for byte.
        Map<String, Path> copied = new LinkedHashMap<>();
        List<Path> tokFiles = src.tokenizerFiles();
        if (!tokFiles.isEmpty()) {
            Path tokDir = tmp.resolve(Bundle.TOKENIZER_DIR);
            try {
                Files.createDirectories(tokDir);
                for (Path f : tokFiles) {
                    Path dst = tokDir.resolve(f.getFileName().toString());
                    Files.copy(f, dst, StandardCopyOption.COPY_ATTRIBUTES);
                    copied.put(Bundle.TOKENIZER_DIR + "/" + f.getFileName(), dst);
                }
            } catch (IOException e) {
                throw new TesseraException("cannot copy the tokenizer files: " + e.getMessage(), e);
            }
        }
        checkCancelled();
        // 4. Self-check: the bundle's weights load into the model; it also measures what the metadata reports.
        Map<String, Integer> cols = new LinkedHashMap<>();
        for (Plan p : plans) {
            if (p.kind() == Kind.QUANTIZE) {
                cols.put(p.key(), p.src().dim(1));
            }
        }
        ModelInfo info;
        HfConfig effectiveConfig = new HfConfig(effective, out + " config");
        // (Through a Recorder, whose close does nothing: the try block closes the file once.)
        // Row-major views: this model is built only for its description, so no tiled copies of the int8 values.
        try (var w = new Bundle.BundleWeights(tmp, SafeTensorsFile.open(weightsFile), cols, false);
             Model m = Models.build(effectiveConfig, new Recorder(w), new LoadOptions(1, 0))) {
            info = m.info();
        }
        // 5. Metadata last, then the rename that makes the bundle appear.
        ObjectNode meta = metadata(src, architecture, config, effective, perTensor, headNote, dropped, info, tmp,
                weightsFile, weightsSha, copied);
        try {
            Files.writeString(tmp.resolve(Bundle.METADATA), Json.MAPPER.writeValueAsString(meta) + "\n");
        } catch (IOException e) {
            throw new TesseraException("cannot write metadata.json: " + e.getMessage(), e);
        }
        checkCancelled();
        install(tmp);
        temp = null;
        long weightsBytes;
        try {
            weightsBytes = Files.size(out.resolve(Bundle.WEIGHTS));
        } catch (IOException e) {
            weightsBytes = -1;
        }
        return new Result(out, scheme, info, weightsBytes, sourceBytes, dropped);
    }

    private void install(Path tmp) {
        try {
            if (Files.exists(out)) {
                // Checked replaceable before starting; check again, the folder may have changed meanwhile.
                if (!replaceable(out)) {
                    throw new TesseraException.InvalidInput("output " + out + " changed during the conversion and is no"
                            + " longer a bundle or an empty folder; not replacing it");
                }
                deleteTree(out);
            }
            try {
                Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, out);
            }
        } catch (IOException e) {
            throw new TesseraException("cannot move the finished bundle to " + out + ": " + e.getMessage(), e);
        }
    }

    private List<SafeTensorsWriter.Item> items(ConvertSource src, Plan p) {
        Tensor t = p.src();
        return switch (p.kind()) {
            case KEEP -> List.of(new SafeTensorsWriter.Item(p.key(), t.dtype(), t.shape(), o -> src.copy(p.source(), o)));
            case CONVERT -> {
                int rowLen = t.rank() == 0 ? 1 : t.dim(t.rank() - 1);
                long rows = t.numel() / Math.max(1, rowLen);
                Quantizer.RowSource rs = src.rows(p.source());
                yield List.of(new SafeTensorsWriter.Item(p.key(), p.target(), t.shape(), o -> {
                    float[] row = new float[rowLen];
                    ByteBuffer buf = ByteBuffer.allocate(rowLen * p.target().bytes()).order(ByteOrder.LITTLE_ENDIAN);
                    for (int r = 0; r < rows; r++) {
                        rs.row(r, row);
                        buf.clear();
                        Encoding.encode(row, rowLen, p.target(), buf, p.source());
                        o.write(buf.array(), 0, buf.position());
                    }
                }));
            }
            case QUANTIZE -> quantizedItems(src, p);
        };
    }

    /**
     * The qweight body quantizes chunks of rows in parallel and streams them out; the scales it produced (1/16 or
     * 1/8 of the values' size) wait in memory for the scales body that follows it in the file.
     */
    private List<SafeTensorsWriter.Item> quantizedItems(ConvertSource src, Plan p) {
        Tensor t = p.src();
        if (t.rank() != 2) {
            throw new TesseraException.InvalidInput("tensor '" + p.source() + "' is used as a matrix but has shape " + t.shapeString());
        }
        int rows = t.dim(0);
        int cols = t.dim(1);
        int bits = p.bits();
        int rb = Math.toIntExact(Quantizer.rowBytes(bits, cols));
        int spr = Quantizer.scalesPerRow(cols);
        short[] scales = new short[Math.multiplyExact(rows, spr)];
        Quantizer.RowSource rs = src.rows(p.source());
        int chunk = Math.max(1, (4 << 20) / Math.max(1, cols));
        SafeTensorsWriter.Item q = new SafeTensorsWriter.Item(p.key() + QuantizedWeights.QWEIGHT,
                bits == 8 ? DType.I8 : DType.U8, new long[] {rows, rb}, o -> {
            byte[] qb = new byte[Math.multiplyExact(Math.min(chunk, rows), rb)];
            short[] sb = new short[Math.min(chunk, rows) * spr];
            for (int r = 0; r < rows; r += chunk) {
                checkCancelled();
                int to = Math.min(rows, r + chunk);
                Quantizer.quantizeRows(rs, cols, bits, r, to, qb, sb);
                System.arraycopy(sb, 0, scales, r * spr, (to - r) * spr);
                o.write(qb, 0, (to - r) * rb);
            }
        });
        SafeTensorsWriter.Item s = new SafeTensorsWriter.Item(p.key() + QuantizedWeights.SCALES, DType.F16,
                new long[] {rows, spr}, o -> {
            ByteBuffer buf = ByteBuffer.allocate(scales.length * 2).order(ByteOrder.LITTLE_ENDIAN);
            buf.asShortBuffer().put(scales);
            o.write(buf.array());
        });
        return List.of(q, s);
    }

    private ObjectNode metadata(ConvertSource src, String architecture, HfConfig config, ObjectNode effective,
                                ObjectNode perTensor, String headNote, List<String> dropped, ModelInfo info, Path tmp,
                                Path weightsFile, String weightsSha, Map<String, Path> tokenizer) {
        ObjectNode m = Json.MAPPER.createObjectNode();
        m.put("format", Bundle.FORMAT);
        m.put("format_version", Bundle.VERSION);
        m.put("created_by", "tessera convert");
        m.put("created_at", Instant.now().toString());
        m.put("architecture", architecture);
        m.set("source", src.provenance());
        m.set("source_config", config.copy());
        m.set("config", effective);
        ObjectNode q = m.putObject("quantization");
        q.put("scheme", scheme.id());
        if (scheme.quantized()) {
            q.put("block_size", Quantizer.BLOCK);
            q.put("scale_dtype", "F16");
            q.put("rule", "per row, per block of 32 input columns: s = max|w|/Q in fp32 (Q = 127 int8, 7 int4); "
                    + "q = clamp(rint(w/s), -Q, Q); s = 0 stores zeros; stored scale fp16(s); value = q * fp16(s); "
                    + "int4 stored as q+8, even column in the low nibble");
        }
        q.put("head", headNote);
        q.set("tensors", perTensor);
        ArrayNode dr = q.putArray("dropped_tensors");
        dropped.forEach(dr::add);
        m.put("vocab_size", info.vocabSize());
        m.put("context_length", info.contextLength());
        ArrayNode stops = m.putArray("stop_token_ids");
        stopTokens(config, tokenizer).forEach(stops::add);
        m.set("chat_template", chatTemplate(tokenizer));
        m.put("parameters", info.parameterCount());
        m.put("weights_bytes", size(weightsFile));
        m.put("decode_bytes_per_token", info.decodeBytesPerToken());
        ObjectNode files = m.putObject("files");
        ObjectNode wf = files.putObject(Bundle.WEIGHTS);
        wf.put("bytes", size(weightsFile));
        wf.put("sha256", weightsSha);
        for (var e : tokenizer.entrySet()) {
            ObjectNode f = files.putObject(e.getKey());
            f.put("bytes", size(e.getValue()));
            f.put("sha256", Hashing.sha256(e.getValue()));
        }
        return m;
    }

    /** eos ids of the config (top level and text_config) and of generation_config.json, in that order. */
    static List<Integer> stopTokens(HfConfig config, Map<String, Path> tokenizer) {
        Set<Integer> ids = new LinkedHashSet<>(config.intOrList("eos_token_id"));
        HfConfig text = config.section("text_config");
        if (text != null) {
            ids.addAll(text.intOrList("eos_token_id"));
        }
        Path gen = tokenizer.get(Bundle.TOKENIZER_DIR + "/generation_config.json");
        if (gen != null) {
            ids.addAll(HfConfig.read(gen).intOrList("eos_token_id"));
        }
        return new ArrayList<>(ids);
    }

    static ObjectNode chatTemplate(Map<String, Path> tokenizer) {
        ObjectNode c = Json.MAPPER.createObjectNode();
        String jinja = Bundle.TOKENIZER_DIR + "/chat_template.jinja";
        String tc = Bundle.TOKENIZER_DIR + "/tokenizer_config.json";
        if (tokenizer.containsKey(jinja)) {
            c.put("present", true);
            c.put("file", jinja);
        } else if (tokenizer.containsKey(tc) && Json.read(tokenizer.get(tc)).hasNonNull("chat_template")) {
            c.put("present", true);
            c.put("file", tc);
            c.put("key", "chat_template");
        } else {
            c.put("present", false);
        }
        return c;
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new TesseraException("cannot stat " + p + ": " + e.getMessage(), e);
        }
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            System.err.println("tessera: could not remove " + root + ": " + e.getMessage());
        }
    }

    /** Counts bytes for the progress listener and stops the write as soon as the conversion is cancelled. */
    private final class ProgressStream extends FilterOutputStream {
        private final long total;
        private long done;
        private long lastReport;

        ProgressStream(OutputStream out, long total) {
            super(out);
            this.total = total;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            advance(1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            checkCancelled();
            out.write(b, off, len);
            advance(len);
        }

        private void advance(long n) {
            done += n;
            long now = System.nanoTime();
            if (now - lastReport > 100_000_000L) {
                lastReport = now;
                listener.progress(done, total, current);
            }
        }
    }
}
