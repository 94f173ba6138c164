package dev.tessera.convert;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.io.Bundle;
import dev.tessera.io.CheckpointWeights;
import dev.tessera.io.QuantScheme;
import dev.tessera.io.QuantizedWeights;
import dev.tessera.model.LoadOptions;
import dev.tessera.model.Model;
import dev.tessera.model.Models;
import dev.tessera.model.synthetic.Synthetic;
import dev.tessera.tensor.Matrix;
import dev.tessera.tensor.Q4Matrix;
import dev.tessera.tensor.Q8Matrix;
import dev.tessera.tensor.Quantizer;
import dev.tessera.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** convert → load gives exactly the tensors of in-memory quantization; the stored layout is as documented. */
class BundleRoundTripTest {
    @TempDir
    Path tmp;

    static byte[] bytes(MemorySegment s) {
        return s.toArray(ValueLayout.JAVA_BYTE);
    }

    static MemorySegment plane(Matrix m, boolean values) {
        if (m instanceof Q8Matrix q) {
            return values ? q.q() : q.scales();
        }
        Q4Matrix q = (Q4Matrix) m;
        return values ? q.q() : q.scales();
    }

    /** The planes in the layout models run on (int8 tiled, {@link Q8Matrix#tiled}), so loaded and fresh compare. */
    static MemorySegment runPlane(Matrix m, boolean values, Arena arena) {
        if (m instanceof Q8Matrix q) {
            return values ? q.tiled(arena).q() : q.tiled(arena).scales();
        }
        Q4Matrix q = (Q4Matrix) m;
        return values ? q.q() : q.scales();
    }

    @ParameterizedTest
    @ValueSource(strings = {"int8lin", "int8hu", "int4lin", "int4hu", "bf16", "fp16"})
    void checkpointBundleHoldsTheInMemoryQuantization(String schemeName) throws Exception {
        QuantScheme scheme = QuantScheme.parse(schemeName);
        Path src = BundleFixtures.checkpoint(tmp.resolve("src"), "llama-tiny", false);
        Path out = tmp.resolve("b-" + schemeName);
        new Converter(src.toString(), out, scheme, false, null).run();
        Bundle b = Bundle.open(out);
        assertThat(b.scheme()).isEqualTo(scheme);
        try (CheckpointWeights ck = CheckpointWeights.open(src); var bw = b.openWeights(); Arena arena = Arena.ofShared()) {
            for (String name : ck.names()) {
                Tensor t = ck.tensor(name);
                String module = name.substring(0, name.length() - ".weight".length());
                int bits = scheme.quantized() && t.rank() == 2 ? scheme.bitsFor(module) : 0;
                if (bits > 0) {
                    assertThat(bw.has(name)).as(name + " replaced by qweight/scales").isFalse();
                    Matrix stored = bw.matrix(module, t.dim(0), t.dim(1));
                    Matrix expect = Quantizer.quantize(t.asMatrix(), bits, module, arena);
                    assertThat(stored.format()).isEqualTo(bits == 8 ? "Q8_32" : "Q4_32");
                    assertThat(bytes(bw.tensor(module + QuantizedWeights.QWEIGHT).data())).as(name + " stored row-major")
                            .isEqualTo(bytes(plane(expect, true)));
                    assertThat(bytes(runPlane(stored, true, arena))).as(name + " values").isEqualTo(bytes(runPlane(expect, true, arena)));
                    float[] a = new float[t.dim(1)], e = new float[t.dim(1)];
                    for (int r = 0; r < t.dim(0); r++) {
                        stored.row(r, a, 0);
                        expect.row(r, e, 0);
                        assertThat(a).as(name + " row " + r).containsExactly(e);
                    }
                    assertThat(bytes(runPlane(stored, false, arena))).as(name + " scales").isEqualTo(bytes(runPlane(expect, false, arena)));
                } else if (scheme.floatType() != null && t.rank() == 2 && t.dtype() != scheme.floatType()) {
                    Tensor s = bw.tensor(name);
                    assertThat(s.dtype()).isEqualTo(scheme.floatType());
                    for (long i = 0; i < t.numel(); i++) {
                        float v = t.getFloat(i);
                        float expect = scheme.floatType() == dev.tessera.tensor.DType.F16
                                ? Float.float16ToFloat(Float.floatToFloat16(v)) : v;
                        assertThat(s.getFloat(i)).isEqualTo(expect);
                    }
                } else {
                    Tensor s = bw.tensor(name);
                    assertThat(s.dtype()).as(name).isEqualTo(t.dtype());
                    assertThat(bytes(s.data())).as(name + " kept byte for byte").isEqualTo(bytes(t.data()));
                }
            }
        }
        // The model loads from the bundle with the quantized matrices.
        try (Model m = Models.load(out, LoadOptions.defaults().withThreads(1))) {
            assertThat(m.info().source()).isEqualTo(out.toString());
            assertThat(m.info().vocabSize()).isEqualTo(384);
        }
    }

    /** A bundle converted from synthetic:llama-tiny is tensor for tensor the in-memory synthetic:llama-tiny@scheme. */
    @ParameterizedTest
    @ValueSource(strings = {"int8hu", "int4lin"})
    void syntheticBundleEqualsQuantizeOnGeneration(String schemeName) {
        Path out = tmp.resolve("syn-" + schemeName);
        new Converter("synthetic:llama-tiny", out, QuantScheme.parse(schemeName), false, null).run();
        Synthetic.Opened mem = Synthetic.open("synthetic:llama-tiny@" + schemeName, true);
        try (Model m = Models.build(mem.config(), mem.weights(), LoadOptions.defaults().withThreads(1));
             var bw = Bundle.open(out).openWeights()) {
            assertThat(bw.names()).containsExactlyInAnyOrderElementsOf(mem.weights().names());
            for (String name : bw.names()) {
                Tensor a = bw.tensor(name);
                Tensor e = mem.weights().tensor(name);
                assertThat(a.dtype()).as(name).isEqualTo(e.dtype());
                assertThat(a.shape()).as(name).isEqualTo(e.shape());
                String suffix = name.endsWith(QuantizedWeights.QWEIGHT) ? QuantizedWeights.QWEIGHT
                        : name.endsWith(QuantizedWeights.SCALES) ? QuantizedWeights.SCALES : null;
                String module = suffix == null ? null : name.substring(0, name.length() - suffix.length());
                if (module != null && bw.tensor(module + QuantizedWeights.QWEIGHT).dtype() == dev.tessera.tensor.DType.I8) {
                    // The synthetic source keeps int8 planes in the layout it runs on: compare the matrices.
                    boolean values = suffix.equals(QuantizedWeights.QWEIGHT);
                    try (Arena arena = Arena.ofShared()) {
                        assertThat(bytes(runPlane(bw.matrix(module), values, arena))).as(name)
                                .isEqualTo(bytes(runPlane(mem.weights().matrix(module), values, arena)));
                    }
                } else {
                    assertThat(bytes(a.data())).as(name).isEqualTo(bytes(e.data()));
                }
            }
        }
    }

    /** Tied model, hu scheme: a quantized copy of the embedding becomes lm_head, the embedding stays as it was. */
    @Test
    void tiedModelGetsAnUntiedQuantizedHeadInHu() throws Exception {
        Path src = BundleFixtures.checkpoint(tmp.resolve("tied"), "llama-tiny", true);
        Path hu = tmp.resolve("tied-hu");
        Path lin = tmp.resolve("tied-lin");
        new Converter(src.toString(), hu, QuantScheme.INT8HU, false, null).run();
        new Converter(src.toString(), lin, QuantScheme.INT4LIN, false, null).run();
        Bundle b = Bundle.open(hu);
        assertThat(b.config().bool("tie_word_embeddings", true)).isFalse();
        assertThat(b.metadata().path("source_config").path("tie_word_embeddings").asBoolean()).isTrue();
        try (CheckpointWeights ck = CheckpointWeights.open(src); var bw = b.openWeights(); Arena arena = Arena.ofShared()) {
            Tensor emb = ck.tensor("model.embed_tokens.weight");
            assertThat(bytes(bw.tensor("model.embed_tokens.weight").data())).isEqualTo(bytes(emb.data()));
            Matrix head = bw.matrix("lm_head", emb.dim(0), emb.dim(1));
            assertThat(head).isInstanceOf(Q8Matrix.class);
            assertThat(bytes(runPlane(head, true, arena))).isEqualTo(bytes(runPlane(Quantizer.quantize(emb.asMatrix(), 8, "h", arena), true, arena)));
        }
        try (var bw = Bundle.open(lin).openWeights()) {
            assertThat(bw.has("lm_head.qweight")).isFalse();
            assertThat(bw.has("lm_head.weight")).isFalse();
            assertThat(bw.tensor("model.layers.0.mlp.up_proj.qweight").dtype()).isEqualTo(dev.tessera.tensor.DType.U8);
        }
        // Both load; the hu model reads the extra head on every decode step.
        try (Model a = Models.load(hu, LoadOptions.defaults().withThreads(1)); Model c = Models.load(lin, LoadOptions.defaults().withThreads(1))) {
            assertThat(a.info().decodeBytesPerToken()).isGreaterThan(c.info().decodeBytesPerToken());
        }
    }

    /** Int4 of an odd width: the planes cannot tell 2k-1 from 2k columns, the bundle's metadata does. */
    @Test
    void oddWidthInt4TakesItsColumnsFromTheMetadata() throws Exception {
        int rows = 5, cols = 33;
        try (Arena arena = Arena.ofShared()) {
            float[] w = new float[rows * cols];
            java.util.Random rnd = new java.util.Random(3);
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) rnd.nextGaussian();
            }
            MemorySegment seg = arena.allocate(w.length * 4L);
            MemorySegment.copy(w, 0, seg, dev.tessera.tensor.Tensor.FLOAT_LE, 0, w.length);
            Matrix q = Quantizer.quantize(new dev.tessera.tensor.F32Matrix("m", rows, cols, seg), 4, "m", arena);
            Path file = tmp.resolve("w.safetensors");
            dev.tessera.io.SafeTensorsWriter.write(file, null, List.of(
                    new dev.tessera.io.SafeTensorsWriter.Item("m.qweight", dev.tessera.tensor.DType.U8,
                            new long[] {rows, (cols + 1) / 2}, o -> o.write(bytes(plane(q, true)))),
                    new dev.tessera.io.SafeTensorsWriter.Item("m.scales", dev.tessera.tensor.DType.F16,
                            new long[] {rows, 2}, o -> o.write(bytes(plane(q, false))))));
            try (var bw = new Bundle.BundleWeights(tmp, dev.tessera.io.SafeTensorsFile.open(file), Map.of("m", cols), true)) {
                Matrix m = bw.matrix("m");
                assertThat(m.cols()).isEqualTo(cols);
                float[] a = new float[cols], b = new float[cols];
                for (int r = 0; r < rows; r++) {
                    m.row(r, a, 0);
                    q.row(r, b, 0);
                    assertThat(a).containsExactly(b);
                }
                assertThat(bw.matrix("m", rows, cols).cols()).isEqualTo(cols);
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> bw.matrix("m", rows, 35))
                        .hasMessageContaining("do not fit 35 columns");
            }
        }
    }

    @Test
    void metadataCarriesProvenanceStopsTemplateAndHashes() throws Exception {
        Path src = BundleFixtures.checkpoint(tmp.resolve("src"), "llama-tiny", false);
        Path out = tmp.resolve("meta");
        new Converter(src.toString(), out, QuantScheme.INT8HU, false, null).run();
        var md = Bundle.open(out).metadata();
        assertThat(md.path("architecture").asText()).isEqualTo("llama");
        assertThat(md.path("source").path("model_id").asText()).isEqualTo("src");
        assertThat(md.path("context_length").asInt()).isEqualTo(4096);
        assertThat(md.path("stop_token_ids").toString()).isEqualTo("[2,7]");
        assertThat(md.path("chat_template").path("file").asText()).isEqualTo("tokenizer/chat_template.jinja");
        assertThat(md.path("quantization").path("tensors").path("lm_head").path("format").asText()).isEqualTo("Q8_32");
        assertThat(md.path("quantization").path("tensors").path("model.norm.weight").path("format").asText()).isEqualTo("BF16");
        assertThat(md.path("decode_bytes_per_token").asLong()).isPositive();
        assertThat(md.path("files").fieldNames()).toIterable().containsExactlyInAnyOrder("weights.safetensors",
                "tokenizer/tokenizer.json", "tokenizer/tokenizer_config.json", "tokenizer/generation_config.json",
                "tokenizer/chat_template.jinja");
        assertThat(java.nio.file.Files.mismatch(src.resolve("chat_template.jinja"), out.resolve("tokenizer/chat_template.jinja"))).isEqualTo(-1L);
    }
}
