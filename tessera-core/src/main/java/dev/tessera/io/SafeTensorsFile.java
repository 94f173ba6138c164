package dev.tessera.io;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tessera.TesseraException;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One memory-mapped safetensors file. The header is validated completely before any tensor is handed out:
 * length within limits and within the file, a JSON object of well-formed entries, known dtypes, shapes whose byte
 * size equals the byte range, ranges inside the data area and not overlapping.
 */
public final class SafeTensorsFile implements AutoCloseable {
    /** Same cap as the reference implementation: a header larger than this is hostile, not a checkpoint. */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    /** What the header says about one tensor. */
    public record Entry(String name, DType dtype, long[] shape, long begin, long end) {}

    private final Path path;
    private final Arena arena;
    private final MemorySegment data;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafeTensorsFile(Path path, Arena arena, MemorySegment data, Map<String, Entry> entries, Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.data = data;
        this.entries = entries;
        this.metadata = metadata;
    }

    public static SafeTensorsFile open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw invalid(path, "file is " + size + " bytes, shorter than the 8-byte header length");
            }
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long headerLen = all.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            if (headerLen < 0 || headerLen > MAX_HEADER_BYTES) {
                throw invalid(path, "header length " + Long.toUnsignedString(headerLen) + " exceeds the limit of "
                        + MAX_HEADER_BYTES + " bytes");
            }
            if (8 + headerLen > size) {
                throw invalid(path, "header length " + headerLen + " is larger than the file (" + size
                        + " bytes): the file is truncated or not safetensors");
            }
            byte[] headerBytes = all.asSlice(8, headerLen).toArray(ValueLayout.JAVA_BYTE);
            MemorySegment dataArea = all.asSlice(8 + headerLen);
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, Entry> entries = parseHeader(path, headerBytes, dataArea.byteSize(), metadata);
            return new SafeTensorsFile(path, arena, dataArea, entries, metadata);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new TesseraException.InvalidInput("file not found: " + path);
        } catch (IOException e) {
            arena.close();
            throw new TesseraException.InvalidInput("cannot read " + path + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    static Map<String, Entry> parseHeader(Path path, byte[] headerBytes, long dataSize, Map<String, String> metadata) {
        JsonNode root;
        try {
            String text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(headerBytes)).toString();
            root = Json.MAPPER.readTree(text);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw invalid(path, "header is not valid UTF-8");
        } catch (IOException e) {
            throw invalid(path, "header is not valid JSON: " + Json.originalMessage(e));
        }
        if (root == null || !root.isObject()) {
            throw invalid(path, "header must be a JSON object mapping tensor names to {dtype, shape, data_offsets}");
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String name = f.getKey();
            JsonNode node = f.getValue();
            if (name.equals("__metadata__")) {
                if (!node.isObject()) {
                    throw invalid(path, "__metadata__ must be an object of strings");
                }
                node.fields().forEachRemaining(m -> {
                    if (!m.getValue().isTextual()) {
                        throw invalid(path, "__metadata__." + m.getKey() + " must be a string");
                    }
                    metadata.put(m.getKey(), m.getValue().asText());
                });
                continue;
            }
            entries.put(name, parseEntry(path, name, node, dataSize));
        }
        checkNoOverlap(path, entries.values());
        return Collections.unmodifiableMap(entries);
    }

    private static Entry parseEntry(Path path, String name, JsonNode node, long dataSize) {
        String where = "tensor '" + name + "'";
        if (!node.isObject()) {
            throw invalid(path, where + ": entry must be an object");
        }
        JsonNode dt = node.get("dtype");
        if (dt == null || !dt.isTextual()) {
            throw invalid(path, where + ": missing string field 'dtype'");
        }
        DType dtype = DType.fromSafetensors(dt.asText(), path + ", " + where);
        JsonNode sh = node.get("shape");
        if (sh == null || !sh.isArray()) {
            throw invalid(path, where + ": missing array field 'shape'");
        }
        long[] shape = new long[sh.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = sh.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0) {
                throw invalid(path, where + ": shape must hold non-negative integers, got " + sh);
            }
            shape[i] = d.asLong();
        }
        JsonNode off = node.get("data_offsets");
        if (off == null || !off.isArray() || off.size() != 2 || !off.get(0).isIntegralNumber()
                || !off.get(1).isIntegralNumber() || !off.get(0).canConvertToLong() || !off.get(1).canConvertToLong()) {
            throw invalid(path, where + ": 'data_offsets' must be [begin, end] integers");
        }
        long begin = off.get(0).asLong();
        long end = off.get(1).asLong();
        if (begin < 0 || end < begin || end > dataSize) {
            throw invalid(path, where + ": data_offsets [" + begin + ", " + end + "] lie outside the data area of "
                    + dataSize + " bytes (file truncated or header corrupt)");
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(Tensor.numel(shape), dtype.bytes());
        } catch (ArithmeticException e) {
            throw invalid(path, where + ": shape " + sh + " is too large");
        }
        if (bytes != end - begin) {
            throw invalid(path, where + ": " + dtype + " " + sh + " needs " + bytes + " bytes but data_offsets span "
                    + (end - begin));
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    private static void checkNoOverlap(Path path, Iterable<Entry> all) {
        List<Entry> sorted = new ArrayList<>();
        all.forEach(sorted::add);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        for (int i = 1; i < sorted.size(); i++) {
            Entry a = sorted.get(i - 1);
            Entry b = sorted.get(i);
            if (b.begin() < a.end()) {
                throw invalid(path, "tensors '" + a.name() + "' and '" + b.name() + "' overlap in the data area");
            }
        }
    }

    private static TesseraException invalid(Path path, String what) {
        return new TesseraException.InvalidInput("invalid safetensors file " + path + ": " + what);
    }

    public Path path() {
        return path;
    }

    public Map<String, Entry> entries() {
        return entries;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public boolean has(String name) {
        return entries.containsKey(name);
    }

    public Tensor tensor(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new TesseraException.InvalidInput("tensor '" + name + "' not found in " + path);
        }
        return new Tensor(name, e.dtype(), e.shape(), data.asSlice(e.begin(), e.end() - e.begin()));
    }

    @Override
    public void close() {
        arena.close();
    }
}
