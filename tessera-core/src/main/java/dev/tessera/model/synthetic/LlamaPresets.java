package dev.tessera.model.synthetic;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.io.Json;
import java.util.List;

/** Llama-family shapes: Nanbeige4.1-3B (ARCHITECTURES.md §1.1) and a tiny one for tests. */
final class LlamaPresets {
    private LlamaPresets() {}

    static List<Preset> all() {
        return List.of(
                preset("nanbeige4.1-3b", "Nanbeige4.1-3B shape (3.9 B parameters, untied 166k head)",
                        166144, 2560, 10496, 32, 20, 4, 128, 1e-5, 7.0e7, 262144, false, 166100, 166101),
                preset("llama-tiny", "tiny Llama for tests and demos (3 layers, GQA 4/2)",
                        512, 64, 160, 3, 4, 2, 16, 1e-5, 1.0e6, 4096, false, 1, 2));
    }

    static Preset preset(String name, String description, int vocab, int hidden, int intermediate, int layers,
                         int heads, int kvHeads, int headDim, double eps, double theta, int maxPositions, boolean tied,
                         int bos, int eos) {
        ObjectNode c = Json.MAPPER.createObjectNode();
        c.putArray("architectures").add("LlamaForCausalLM");
        c.put("model_type", "llama");
        c.put("vocab_size", vocab);
        c.put("hidden_size", hidden);
        c.put("intermediate_size", intermediate);
        c.put("num_hidden_layers", layers);
        c.put("num_attention_heads", heads);
        c.put("num_key_value_heads", kvHeads);
        c.put("head_dim", headDim);
        c.put("hidden_act", "silu");
        c.put("rms_norm_eps", eps);
        c.put("rope_theta", theta);
        c.putNull("rope_scaling");
        c.put("max_position_embeddings", maxPositions);
        c.put("attention_bias", false);
        c.put("mlp_bias", false);
        c.put("tie_word_embeddings", tied);
        c.put("bos_token_id", bos);
        c.put("eos_token_id", eos);
        c.put("torch_dtype", "bfloat16");
        return new Preset(name, "llama", description, c,
                n -> n.endsWith("norm.weight") ? Init.ONES : Init.LINEAR,
                n -> tied && n.startsWith("lm_head."));
    }
}
