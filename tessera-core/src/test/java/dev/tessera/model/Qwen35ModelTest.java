package dev.tessera.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.io.CheckpointWeights;
import dev.tessera.io.HfConfig;
import dev.tessera.io.WeightSource;
import dev.tessera.model.layers.GatedDeltaNet;
import dev.tessera.tensor.Tensor;
import dev.tessera.testing.GoldenCase;
import dev.tessera.testing.TestTensors;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Random;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Engine invariants of Qwen3.5 on the golden checkpoints' weights with random 200-token inputs (crossing 64-token
 * chunks): chunked form = recurrent form, prefill in pieces = one prefill, prefill then decode = one prefill,
 * snapshots; and the loader's handling of the real checkpoint layout.
 */
class Qwen35ModelTest {
    static final String[] CASES = {"qwen35-tiny-tied", "qwen35-tiny-untied"};

    static Model load(String name) {
        return Models.load(new GoldenCase(name).dir, LoadOptions.defaults().withThreads(2));
    }

    static int[] randomIds(int n, int vocab, long seed) {
        Random r = new Random(seed);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = 3 + r.nextInt(vocab - 7);
        }
        return ids;
    }

    /** Logits of every token, fed in pieces of the given sizes (cycled), with the given DeltaNet form. */
    static float[][] run(Model m, int[] ids, GatedDeltaNet.Form form, int... pieces) {
        Qwen35.State s = (Qwen35.State) m.newState();
        s.deltaForm(form);
        Logits out = Logits.all(m.info().vocabSize(), ids.length);
        float[][] rows = new float[ids.length][];
        int p = 0;
        for (int start = 0; start < ids.length; p++) {
            int n = Math.min(pieces[p % pieces.length], ids.length - start);
            m.forward(ids, start, n, s, out);
            for (int t = 0; t < n; t++) {
                rows[start + t] = out.row(t);
            }
            start += n;
        }
        return rows;
    }

    static float scale(float[][] rows) {
        float m = 0;
        for (float[] r : rows) {
            m = Math.max(m, TestTensors.maxAbs(r));
        }
        return m;
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen35-tiny-tied", "qwen35-tiny-untied"})
    void chunkedAndRecurrentFormsAgreeForAnyChunking(String name) {
        try (Model m = load(name)) {
            for (int len : new int[] {1, 63, 64, 65, 200}) {
                int[] ids = randomIds(len, m.info().vocabSize(), 100 + len);
                float[][] oneChunked = run(m, ids, GatedDeltaNet.Form.CHUNKED, len);
                // Rounding differences of the two forms are amplified by these random-weight models to ~2e-5·max|logit|
                // (HF's own chunked and recurrent paths differ by as much on them).
                float tol = 5e-5f * Math.max(1f, scale(oneChunked));
                float[][] oneRecurrent = run(m, ids, GatedDeltaNet.Form.RECURRENT, len);
                float[][] tokenByToken = run(m, ids, GatedDeltaNet.Form.AUTO, 1);
                float[][] uneven = run(m, ids, GatedDeltaNet.Form.AUTO, 37, 5, 64, 1, 70);
                assertThat(GoldenCase.maxAbsDiff(oneRecurrent, oneChunked)).as("%s T=%d recurrent vs chunked", name, len)
                        .isLessThanOrEqualTo(tol);
                assertThat(GoldenCase.maxAbsDiff(tokenByToken, oneChunked)).as("%s T=%d token by token", name, len)
                        .isLessThanOrEqualTo(tol);
                assertThat(GoldenCase.maxAbsDiff(uneven, oneChunked)).as("%s T=%d uneven pieces", name, len)
                        .isLessThanOrEqualTo(tol);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen35-tiny-tied", "qwen35-tiny-untied"})
    void prefillThenDecodeEqualsContinuousPrefill(String name) {
        try (Model m = load(name)) {
            int[] ids = randomIds(200, m.info().vocabSize(), 5);
            float[][] whole = run(m, ids, GatedDeltaNet.Form.AUTO, 200);
            Qwen35.State s = (Qwen35.State) m.newState();
            Logits out = Logits.last(m.info().vocabSize());
            m.forward(ids, 0, 130, s, out);
            float worst = TestTensors.maxAbsDiff(out.row(0), whole[129]);
            for (int t = 130; t < 200; t++) {
                m.forward(ids, t, 1, s, out);
                worst = Math.max(worst, TestTensors.maxAbsDiff(out.row(0), whole[t]));
            }
            assertThat(worst).as(name).isLessThanOrEqualTo(5e-5f * Math.max(1f, scale(whole)));
            assertThat(s.position()).isEqualTo(200);
        }
    }

    @Test
    void snapshotRestoreAndResetCarryAllThreeKindsOfState() {
        try (Model m = load("qwen35-tiny-tied")) {
            int[] ids = randomIds(120, m.info().vocabSize(), 9);
            Logits out = Logits.all(m.info().vocabSize(), 60);
            ModelState s = m.newState();
            m.forward(ids, 0, 60, s, out);
            ModelState snap = s.snapshot();
            assertThat(snap.stateBytes()).isEqualTo(s.stateBytes()).isPositive();
            m.forward(ids, 60, 60, s, out);
            float[] first = out.data().clone();
            s.restore(snap);
            assertThat(s.position()).isEqualTo(60);
            m.forward(ids, 60, 60, s, out);
            assertThat(out.data()).containsExactly(first);
            // After reset the state is a fresh sequence again.
            s.reset();
            m.forward(ids, 0, 60, s, out);
            float[] again = out.data().clone();
            ModelState fresh = m.newState();
            m.forward(ids, 0, 60, fresh, out);
            assertThat(again).containsExactly(out.data());
        }
    }

    @Test
    void decodeStepsAllocateNothing() {
        // One thread: every kernel runs on the calling thread, whose allocations the JVM counts.
        try (Model m = Models.load(new GoldenCase("qwen35-tiny-untied").dir, LoadOptions.defaults().withThreads(1))) {
            com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            int[] ids = randomIds(300, m.info().vocabSize(), 3);
            ModelState s = m.newState();
            Logits out = Logits.argmax(m.info().vocabSize());
            // Until the JIT has compiled the vector kernels, interpreted Vector API code boxes its vectors; on a
            // loaded machine that takes a while. Measure rounds of 100 decode steps until one allocates nothing.
            long deadline = System.nanoTime() + 60_000_000_000L;
            long allocated;
            do {
                s.reset();
                m.forward(ids, 0, 20, s, out);
                long before = mx.getCurrentThreadAllocatedBytes();
                for (int t = 20; t < 120; t++) {
                    m.forward(ids, t, 1, s, out);
                }
                allocated = mx.getCurrentThreadAllocatedBytes() - before;
            } while (allocated > 0 && System.nanoTime() < deadline);
            assertThat(allocated).as("bytes allocated by 100 decode steps once compiled").isZero();
        }
    }

    // ------------------------------------------------------------------ loader

    /** A view of a checkpoint with tensors renamed, dropped or transformed. */
    record Rewritten(WeightSource inner, UnaryOperator<String> toInner, Set<String> names,
                     UnaryOperator<Tensor> transform) implements WeightSource {
        static Rewritten of(WeightSource inner, UnaryOperator<String> toInner, UnaryOperator<String> fromInner,
                            UnaryOperator<Tensor> transform) {
            Set<String> names = new LinkedHashSet<>();
            for (String n : inner.names()) {
                String mapped = fromInner.apply(n);
                if (mapped != null) {
                    names.add(mapped);
                }
            }
            return new Rewritten(inner, toInner, names, transform);
        }

        @Override
        public String describe() {
            return "rewritten " + inner.describe();
        }

        @Override
        public boolean has(String name) {
            return names.contains(name);
        }

        @Override
        public Tensor tensor(String name) {
            return transform.apply(inner.tensor(toInner.apply(name)));
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    static HfConfig textOnlyConfig(Path dir) {
        HfConfig top = HfConfig.read(dir.resolve("config.json"));
        ObjectNode text = (ObjectNode) top.section("text_config").copy();
        text.put("model_type", "qwen3_5_text");
        text.put("tie_word_embeddings", top.bool("tie_word_embeddings", false));
        return new HfConfig(text, "text-only copy of " + dir);
    }

    @Test
    void textOnlyLayoutWithPlainModelPrefixGivesTheSameLogits() {
        GoldenCase g = new GoldenCase("qwen35-tiny-untied");
        float[][] vlm;
        try (Model m = load(g.name)) {
            vlm = g.teacherForced(m, g.inputIds.length);
        }
        String pre = "model.language_model.";
        WeightSource w = Rewritten.of(CheckpointWeights.open(g.dir),
                n -> n.startsWith("model.") ? pre + n.substring("model.".length()) : n,
                n -> n.startsWith(pre) ? "model." + n.substring(pre.length())
                        : n.startsWith("model.visual.") || n.startsWith("mtp.") ? null : n,
                t -> t);
        assertThat(w.has("model.embed_tokens.weight")).isTrue();
        try (Model m = Models.build(textOnlyConfig(g.dir), w, LoadOptions.defaults().withThreads(2))) {
            assertThat(m.info().architecture()).isEqualTo("qwen3_5");
            assertThat(GoldenCase.maxAbsDiff(g.teacherForced(m, g.inputIds.length), vlm)).isZero();
        }
    }

    @Test
    void f32DeltaNetTensorsAreReadAtFullPrecision() {
        GoldenCase g = new GoldenCase("qwen35-tiny-tied");
        try (CheckpointWeights w = CheckpointWeights.open(g.dir)) {
            assertThat(w.tensor("model.language_model.layers.0.linear_attn.A_log").dtype().name()).isEqualTo("F32");
            assertThat(w.tensor("model.language_model.layers.0.linear_attn.norm.weight").dtype().name()).isEqualTo("F32");
        }
        float[][] exact;
        try (Model m = load(g.name)) {
            exact = g.teacherForced(m, g.inputIds.length);
            g.assertClose("teacher-forced", exact, g.logits);
        }
        // Rounding A_log and the output norm to BF16 changes the result: the loader must not narrow them.
        WeightSource rounded = Rewritten.of(CheckpointWeights.open(g.dir), n -> n, n -> n,
                t -> t.name().endsWith("A_log") || t.name().endsWith("linear_attn.norm.weight")
                        ? TestTensors.bf16(t.name(), t.toFloatArray(), t.shape()) : t);
        try (Model m = Models.build(HfConfig.read(g.dir.resolve("config.json")), rounded, LoadOptions.defaults())) {
            assertThat(GoldenCase.maxAbsDiff(g.teacherForced(m, g.inputIds.length), exact)).isGreaterThan(1e-5f);
        }
    }

    @Test
    void visionAndMtpTensorsAreIgnored() {
        GoldenCase g = new GoldenCase("qwen35-tiny-untied");
        try (CheckpointWeights w = CheckpointWeights.open(g.dir)) {
            assertThat(w.names()).anyMatch(n -> n.startsWith("model.visual.")).anyMatch(n -> n.startsWith("mtp."));
        }
        try (Model m = load(g.name)) {
            assertThat(m.info().vocabSize()).isEqualTo(448);
            assertThat(m.info().numLayers()).isEqualTo(8);
        }
    }

    @Test
    void wrongShapesAndConfigsFailWithTheKeyOrTensorNamed() {
        GoldenCase g = new GoldenCase("qwen35-tiny-tied");
        HfConfig top = HfConfig.read(g.dir.resolve("config.json"));
        ObjectNode bad = top.copy();
        ((ObjectNode) bad.get("text_config")).put("linear_value_head_dim", 24);
        assertThatThrownBy(() -> Models.build(new HfConfig(bad, "bad.json"), CheckpointWeights.open(g.dir), LoadOptions.defaults()))
                .hasMessageContaining("linear_attn.in_proj_qkv");
        ObjectNode layers = top.copy();
        ((ObjectNode) layers.get("text_config")).put("num_hidden_layers", 5);
        assertThatThrownBy(() -> Models.build(new HfConfig(layers, "bad.json"), CheckpointWeights.open(g.dir), LoadOptions.defaults()))
                .hasMessageContaining("layer_types");
        ObjectNode heads = top.copy();
        ((ObjectNode) heads.get("text_config")).put("linear_num_value_heads", 3);
        assertThatThrownBy(() -> Models.build(new HfConfig(heads, "bad.json"), CheckpointWeights.open(g.dir), LoadOptions.defaults()))
                .hasMessageContaining("linear_num_value_heads");
        ObjectNode noText = top.copy();
        noText.remove("text_config");
        assertThatThrownBy(() -> Models.build(new HfConfig(noText, "bad.json"), CheckpointWeights.open(g.dir), LoadOptions.defaults()))
                .hasMessageContaining("text_config");
    }

    @Test
    void mropeLabelledRopeIsPlainRopeForTextAndOtherTypesAreRejected() {
        GoldenCase g = new GoldenCase("qwen35-tiny-tied");
        ObjectNode cfg = HfConfig.read(g.dir.resolve("config.json")).copy();
        ObjectNode rope = (ObjectNode) cfg.get("text_config").get("rope_parameters");
        rope.remove("rope_type");
        rope.put("type", "mrope");
        try (Model m = Models.build(new HfConfig(cfg, "mrope.json"), CheckpointWeights.open(g.dir), LoadOptions.defaults())) {
            g.assertClose("teacher-forced", g.teacherForced(m, g.inputIds.length), g.logits);
        }
        rope.put("type", "yarn");
        assertThatThrownBy(() -> Qwen35.Config.from(new HfConfig(cfg, "yarn.json"))).hasMessageContaining("yarn");
    }

    @Test
    void layerKindsFromIntervalWhenLayerTypesAbsent() {
        GoldenCase g = new GoldenCase("qwen35-tiny-untied");
        HfConfig top = HfConfig.read(g.dir.resolve("config.json"));
        ObjectNode cfg = top.copy();
        ((ObjectNode) cfg.get("text_config")).remove("layer_types");
        Qwen35.Config c = Qwen35.Config.from(new HfConfig(cfg, "no-layer-types.json"));
        assertThat(c.full()).containsExactly(false, false, false, true, false, false, false, true);
        try (Model m = Models.build(new HfConfig(cfg, "x"), CheckpointWeights.open(g.dir), LoadOptions.defaults())) {
            g.assertClose("teacher-forced", g.teacherForced(m, g.inputIds.length), g.logits);
        }
    }
}
