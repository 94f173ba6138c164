package dev.tessera.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.TesseraException;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reader validates the whole header before handing out a byte; each hostile input gets a clear message. */
class SafeTensorsFileTest {
    @TempDir
    Path dir;

    Path raw(String header, int dataBytes) throws IOException {
        return raw(header, dataBytes, header.getBytes(StandardCharsets.UTF_8).length);
    }

    Path raw(String header, int dataBytes, long declaredLength) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declaredLength).put(h);
        Path p = Files.createTempFile(dir, "t", ".safetensors");
        Files.write(p, b.array());
        return p;
    }

    void rejects(Path p, String... fragments) {
        assertThatThrownBy(() -> SafeTensorsFile.open(p).close())
                .isInstanceOf(TesseraException.InvalidInput.class)
                .hasMessageContaining(p.toString())
                .satisfies(e -> {
                    for (String f : fragments) {
                        assertThat(e.getMessage()).contains(f);
                    }
                });
    }

    @Test
    void roundTripsThroughTheWriter() {
        Path p = dir.resolve("rt.safetensors");
        SafeTensorsWriter.write(p, Map.of("k", "v"), List.of(
                SafeTensorsWriter.f32("a", new float[] {1, 2, 3, 4, 5, 6}, 2, 3),
                SafeTensorsWriter.i64("b", new long[] {7, -8}, 2)));
        try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
            assertThat(f.metadata()).containsEntry("k", "v");
            Tensor a = f.tensor("a");
            assertThat(a.dtype()).isEqualTo(DType.F32);
            assertThat(a.shape()).containsExactly(2, 3);
            assertThat(a.toFloatArray()).containsExactly(1, 2, 3, 4, 5, 6);
            assertThat(f.tensor("b").toLongArray()).containsExactly(7, -8);
        }
    }

    @Test
    void truncatedFile() throws IOException {
        Path p = Files.write(dir.resolve("short.safetensors"), new byte[] {1, 2, 3});
        rejects(p, "shorter than the 8-byte header length");
    }

    @Test
    void headerLengthLargerThanFile() throws IOException {
        rejects(raw("{}", 0, 5000), "larger than the file");
    }

    @Test
    void hugeHeaderLength() throws IOException {
        rejects(raw("{}", 0, Long.MAX_VALUE / 2), "exceeds the limit");
    }

    @Test
    void offsetsOutOfRange() throws IOException {
        rejects(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8), "outside the data area");
    }

    @Test
    void unknownDtype() throws IOException {
        rejects(raw("{\"w\":{\"dtype\":\"F8_E9\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2), "unknown dtype 'F8_E9'");
    }

    @Test
    void shapeSizeMismatch() throws IOException {
        rejects(raw("{\"w\":{\"dtype\":\"BF16\",\"shape\":[3,3],\"data_offsets\":[0,16]}}", 16), "needs 18 bytes", "span 16");
    }

    @Test
    void overlappingTensors() throws IOException {
        rejects(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "overlap");
    }

    @Test
    void notAnObjectOrNotJson() throws IOException {
        rejects(raw("[1,2]", 0), "JSON object");
        rejects(raw("{\"w\":", 0), "not valid JSON");
        rejects(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}}", 0), "non-negative");
        rejects(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4), "data_offsets");
    }

    @Test
    void shardedCheckpointFollowsTheIndex() throws IOException {
        Path ck = Files.createDirectory(dir.resolve("ck"));
        SafeTensorsWriter.write(ck.resolve("model-00001-of-00002.safetensors"), null,
                List.of(SafeTensorsWriter.f32("x", new float[] {1}, 1)));
        SafeTensorsWriter.write(ck.resolve("model-00002-of-00002.safetensors"), null,
                List.of(SafeTensorsWriter.f32("y", new float[] {2, 3}, 2)));
        Files.writeString(ck.resolve("model.safetensors.index.json"), "{\"metadata\":{},\"weight_map\":{"
                + "\"x\":\"model-00001-of-00002.safetensors\",\"y\":\"model-00002-of-00002.safetensors\"}}");
        try (CheckpointWeights w = CheckpointWeights.open(ck)) {
            assertThat(w.names()).containsExactlyInAnyOrder("x", "y");
            assertThat(w.floats("y")).containsExactly(2, 3);
        }
        Files.writeString(ck.resolve("model.safetensors.index.json"), "{\"weight_map\":{"
                + "\"x\":\"model-00002-of-00002.safetensors\",\"y\":\"model-00002-of-00002.safetensors\"}}");
        assertThatThrownBy(() -> CheckpointWeights.open(ck)).hasMessageContaining("says tensor 'x' is in model-00002");
        Files.writeString(ck.resolve("model.safetensors.index.json"), "{\"weight_map\":{\"x\":\"../evil.safetensors\"}}");
        assertThatThrownBy(() -> CheckpointWeights.open(ck)).hasMessageContaining("plain file name");
    }
}
