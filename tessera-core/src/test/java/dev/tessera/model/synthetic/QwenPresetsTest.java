package dev.tessera.model.synthetic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.io.HfConfig;
import dev.tessera.model.LoadOptions;
import dev.tessera.model.Logits;
import dev.tessera.model.Model;
import dev.tessera.model.ModelState;
import dev.tessera.model.Models;
import dev.tessera.model.Qwen35;
import dev.tessera.model.layers.GatedDeltaNet;
import dev.tessera.testing.TestTensors;
import org.junit.jupiter.api.Test;

/** The Qwen3.5 synthetic presets: real shapes parse to the documented config, the tiny one runs consistently. */
class QwenPresetsTest {
    @Test
    void realShapesMatchTheDocumentedConfigs() {
        for (String name : new String[] {"qwen3.5-0.8b", "qwen3.5-2b"}) {
            Preset p = Synthetic.presets().get(name);
            Qwen35.Config c = Qwen35.Config.from(new HfConfig(p.config(), name));
            assertThat(c.vocab()).isEqualTo(248320);
            assertThat(c.hidden()).isEqualTo(name.endsWith("0.8b") ? 1024 : 2048);
            assertThat(c.intermediate()).isEqualTo(name.endsWith("0.8b") ? 3584 : 6144);
            assertThat(c.layers()).isEqualTo(24);
            assertThat(c.linearLayers()).isEqualTo(18);
            assertThat(c.full()[3]).isTrue();
            assertThat(c.full()[4]).isFalse();
            assertThat(c.rotaryDim()).isEqualTo(64);
            assertThat(c.rope().theta()).isEqualTo(1e7);
            assertThat(c.tied()).isTrue();
            assertThat(c.linearKeyHeads()).isEqualTo(16);
            assertThat(c.linearValueHeads()).isEqualTo(16);
        }
    }

    @Test
    void tinyPresetPrefillsChunkedAndRecurrentAlike() {
        try (Model m = Models.load("synthetic:qwen3.5-tiny", LoadOptions.defaults().withThreads(2))) {
            assertThat(m.info().architecture()).isEqualTo("qwen3_5");
            int[] ids = new int[150];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = (i * 37 + 11) % m.info().vocabSize();
            }
            float[] chunked = lastLogits(m, ids, GatedDeltaNet.Form.AUTO);
            float[] recurrent = lastLogits(m, ids, GatedDeltaNet.Form.RECURRENT);
            assertThat(TestTensors.maxAbs(chunked)).isGreaterThan(0f);
            assertThat(TestTensors.maxAbsDiff(chunked, recurrent)).isLessThan(1e-4f * Math.max(1f, TestTensors.maxAbs(chunked)));
        }
    }

    static float[] lastLogits(Model m, int[] ids, GatedDeltaNet.Form form) {
        ModelState s = m.newState();
        ((Qwen35.State) s).deltaForm(form);
        Logits out = Logits.last(m.info().vocabSize());
        m.forward(ids, s, out);
        return out.row(0);
    }
}
