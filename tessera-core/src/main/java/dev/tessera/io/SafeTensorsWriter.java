package dev.tessera.io;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.TesseraException;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Tensor;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Writes a safetensors file that any safetensors tool opens: header padded with spaces to 8 bytes, tensors
 * contiguous in the order given. Bodies are streamed, so multi-gigabyte tensors never sit in the heap.
 */
public final class SafeTensorsWriter {
    private SafeTensorsWriter() {}

    /** Writes exactly {@code bytes} bytes of one tensor. */
    @FunctionalInterface
    public interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    public record Item(String name, DType dtype, long[] shape, Body body) {
        public long bytes() {
            return Tensor.numel(shape) * dtype.bytes();
        }
    }

    public static void write(Path file, Map<String, String> metadata, List<Item> items) {
        try (OutputStream raw = Files.newOutputStream(file)) {
            write(raw, metadata, items);
        } catch (IOException e) {
            throw new TesseraException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes the file to {@code raw} (e.g. a stream that also hashes); the caller closes it. */
    public static void write(OutputStream raw, Map<String, String> metadata, List<Item> items) throws IOException {
        ObjectNode header = Json.COMPACT.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = header.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (Item it : items) {
            ObjectNode e = header.putObject(it.name());
            e.put("dtype", it.dtype().safetensorsName());
            var shape = e.putArray("shape");
            for (long d : it.shape()) {
                shape.add(d);
            }
            var offs = e.putArray("data_offsets");
            offs.add(offset);
            offset += it.bytes();
            offs.add(offset);
        }
        byte[] json;
        try {
            json = Json.COMPACT.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new TesseraException("cannot encode safetensors header", e);
        }
        int padded = (json.length + 7) / 8 * 8;
        CountingStream out = new CountingStream(new BufferedOutputStream(raw, 1 << 20));
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
        out.write(len.array());
        out.write(json);
        for (int i = json.length; i < padded; i++) {
            out.write(' ');
        }
        for (Item it : items) {
            long before = out.count;
            it.body().writeTo(out);
            if (out.count - before != it.bytes()) {
                throw new TesseraException("internal error: tensor '" + it.name() + "' wrote " + (out.count - before)
                        + " bytes, expected " + it.bytes());
            }
        }
        out.flush();
    }

    public static Item f32(String name, float[] data, long... shape) {
        return new Item(name, DType.F32, shape, out -> {
            ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(data);
            out.write(b.array());
        });
    }

    public static Item i64(String name, long[] data, long... shape) {
        return new Item(name, DType.I64, shape, out -> {
            ByteBuffer b = ByteBuffer.allocate(data.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            b.asLongBuffer().put(data);
            out.write(b.array());
        });
    }

    private static final class CountingStream extends OutputStream {
        private final OutputStream out;
        long count;

        CountingStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }
}
