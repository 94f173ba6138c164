package dev.tessera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.io.Json;
import dev.tessera.io.SafeTensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Text in, text out, on a real checkpoint folder: a tiny random Llama whose vocabulary is the real Qwen3 tokenizer's,
 * with that tokenizer, its config and chat template beside the weights, exactly as a downloaded model folder.
 */
class TextPromptTest {
    @TempDir
    static Path dir;
    static Path checkpoint;

    @BeforeAll
    static void makeCheckpoint() throws Exception {
        Path tok = RunCommandTest.golden("tokenizer").resolve("qwen3");
        checkpoint = Files.createDirectory(dir.resolve("tiny-qwen3-vocab"));
        for (String f : new String[] {"tokenizer.json.gz", "tokenizer_config.json", "chat_template.jinja"}) {
            Files.copy(tok.resolve(f), checkpoint.resolve(f));
        }
        int vocab = 151669, hidden = 16, inter = 32, heads = 2, kv = 1, hd = 8;
        var c = Json.MAPPER.createObjectNode();
        c.put("model_type", "llama").put("vocab_size", vocab).put("hidden_size", hidden).put("intermediate_size", inter)
                .put("num_hidden_layers", 1).put("num_attention_heads", heads).put("num_key_value_heads", kv)
                .put("head_dim", hd).put("rms_norm_eps", 1e-6).put("rope_theta", 1e6).put("max_position_embeddings", 512)
                .put("tie_word_embeddings", true).put("eos_token_id", 151645);
        Files.writeString(checkpoint.resolve("config.json"), Json.MAPPER.writeValueAsString(c));
        Random r = new Random(7);
        List<SafeTensorsWriter.Item> items = new ArrayList<>();
        items.add(rand(r, "model.embed_tokens.weight", vocab, hidden));
        String p = "model.layers.0.";
        items.add(rand(r, p + "self_attn.q_proj.weight", heads * hd, hidden));
        items.add(rand(r, p + "self_attn.k_proj.weight", kv * hd, hidden));
        items.add(rand(r, p + "self_attn.v_proj.weight", kv * hd, hidden));
        items.add(rand(r, p + "self_attn.o_proj.weight", hidden, heads * hd));
        items.add(rand(r, p + "mlp.gate_proj.weight", inter, hidden));
        items.add(rand(r, p + "mlp.up_proj.weight", inter, hidden));
        items.add(rand(r, p + "mlp.down_proj.weight", hidden, inter));
        items.add(ones(p + "input_layernorm.weight", hidden));
        items.add(ones(p + "post_attention_layernorm.weight", hidden));
        items.add(ones("model.norm.weight", hidden));
        SafeTensorsWriter.write(checkpoint.resolve("model.safetensors"), null, items);
    }

    static SafeTensorsWriter.Item rand(Random r, String name, int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * 0.5);
        }
        return SafeTensorsWriter.f32(name, v, rows, cols);
    }

    static SafeTensorsWriter.Item ones(String name, int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        return SafeTensorsWriter.f32(name, v, n);
    }

    @Test
    void chatPromptStreamsTextAndSavesTheTemplatedIds() throws Exception {
        Path out = dir.resolve("chat.safetensors");
        String[] r = RunCommandTest.run("run", "--model", checkpoint.toString(), "--prompt", "Hello there", "--chat",
                "--kwargs", "{\"enable_thinking\": false}", "--max-tokens", "3", "--save-logits", out.toString());
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        try (var f = dev.tessera.io.SafeTensorsFile.open(out)) {
            long[] ids = f.tensor("input_ids").toLongArray();
            // <|im_start|>user\nHello there<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n
            assertThat(ids[0]).isEqualTo(151644);
            assertThat(ids).contains(151645L, 151667L, 151668L);
        }
        r = RunCommandTest.run("run", "--model", checkpoint.toString(), "--prompt", "Hello", "--max-tokens", "4",
                "--temperature", "0.7", "--seed", "3");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[2]).contains("generated");
    }

    @Test
    void promptWithoutTokenizerIsAClearError() {
        String[] r = RunCommandTest.run("run", "--model", "synthetic:llama-tiny", "--prompt", "Hello");
        assertThat(r[0]).isEqualTo("2");
        assertThat(r[2]).contains("has no tokenizer").contains("--tokenizer");
    }

    @Test
    void gateWithDefaultPromptsAndConvertGate() throws Exception {
        Path bundle = dir.resolve("bundle-int8hu");
        String[] r = RunCommandTest.run("convert", checkpoint.toString(), "-o", bundle.toString(), "--quant", "int8hu",
                "--gate", "--allow-ties");
        assertThat(r[0]).as(r[2]).isIn("0", "1");
        var meta = Json.read(bundle.resolve("metadata.json"));
        assertThat(meta.path("gate").path("format").asText()).isEqualTo("tessera-gate-transcript/1");
        assertThat(meta.path("gate").path("prompts")).hasSize(2);
        assertThat(meta.path("gate").path("prompts").get(0).path("input_text").asText()).isEqualTo("The capital of France is");
        r = RunCommandTest.run("inspect", bundle.toString(), "--summary");
        assertThat(r[1]).contains("gate:").contains("prompt of");
        // The checkpoint against itself passes whatever the margins.
        r = RunCommandTest.run("gate", checkpoint.toString(), "--reference", checkpoint.toString(), "--allow-ties");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1]).contains("PASS");
    }
}
