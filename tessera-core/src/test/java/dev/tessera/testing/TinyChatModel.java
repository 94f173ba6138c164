package dev.tessera.testing;

import dev.tessera.io.Json;
import dev.tessera.io.SafeTensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * A checkpoint folder as a download looks: a tiny random Llama (one layer, hidden 16) whose vocabulary is the real
 * Qwen3 tokenizer's, with that tokenizer, its config and its chat template beside the weights. Text goes in and
 * (random) text comes out, fast enough for tests of everything above the model.
 */
public final class TinyChatModel {
    private TinyChatModel() {}

    /** Qwen3's {@code <|im_end|>}: the config's eos and the template's end of turn. */
    public static final int IM_END = 151645;

    public static Path write(Path parent) {
        try {
            Path tok = Golden.dir("tokenizer").resolve("qwen3");
            Path dir = Files.createDirectories(parent.resolve("tiny-qwen3-vocab"));
            for (String f : new String[] {"tokenizer.json.gz", "tokenizer_config.json", "chat_template.jinja"}) {
                Files.copy(tok.resolve(f), dir.resolve(f));
            }
            int vocab = 151669, hidden = 16, inter = 32, heads = 2, kv = 1, hd = 8;
            var c = Json.MAPPER.createObjectNode();
            c.put("model_type", "llama").put("vocab_size", vocab).put("hidden_size", hidden).put("intermediate_size", inter)
                    .put("num_hidden_layers", 1).put("num_attention_heads", heads).put("num_key_value_heads", kv)
                    .put("head_dim", hd).put("rms_norm_eps", 1e-6).put("rope_theta", 1e6).put("max_position_embeddings", 512)
                    .put("tie_word_embeddings", true).put("eos_token_id", IM_END);
            Files.writeString(dir.resolve("config.json"), Json.MAPPER.writeValueAsString(c));
            Random r = new Random(7);
            List<SafeTensorsWriter.Item> items = new ArrayList<>();
            items.add(random(r, "model.embed_tokens.weight", vocab, hidden));
            String p = "model.layers.0.";
            items.add(random(r, p + "self_attn.q_proj.weight", heads * hd, hidden));
            items.add(random(r, p + "self_attn.k_proj.weight", kv * hd, hidden));
            items.add(random(r, p + "self_attn.v_proj.weight", kv * hd, hidden));
            items.add(random(r, p + "self_attn.o_proj.weight", hidden, heads * hd));
            items.add(random(r, p + "mlp.gate_proj.weight", inter, hidden));
            items.add(random(r, p + "mlp.up_proj.weight", inter, hidden));
            items.add(random(r, p + "mlp.down_proj.weight", hidden, inter));
            items.add(ones(p + "input_layernorm.weight", hidden));
            items.add(ones(p + "post_attention_layernorm.weight", hidden));
            items.add(ones("model.norm.weight", hidden));
            SafeTensorsWriter.write(dir.resolve("model.safetensors"), null, items);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static SafeTensorsWriter.Item random(Random r, String name, int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * 0.5);
        }
        return SafeTensorsWriter.f32(name, v, rows, cols);
    }

    private static SafeTensorsWriter.Item ones(String name, int n) {
        float[] v = new float[n];
        Arrays.fill(v, 1f);
        return SafeTensorsWriter.f32(name, v, n);
    }
}
