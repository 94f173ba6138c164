package dev.tessera.model.synthetic;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.io.Json;
import java.util.List;

/**
 * Qwen3.5 shapes (ARCHITECTURES.md §3.1): the 0.8B and 2B text models inside the vision-language wrapper config
 * they ship with ({@code model_type qwen3_5} + {@code text_config}, weights under {@code model.language_model.}),
 * and a tiny one for tests with r = nv/nk = 2 and dk ≠ dv.
 */
final class QwenPresets {
    private QwenPresets() {}

    static List<Preset> all() {
        return List.of(
                preset("qwen3.5-0.8b", "Qwen3.5-0.8B text model shape (24 layers [L,L,L,F]x6, tied 248k head)",
                        248320, 1024, 3584, 24, 8, 2, 256, 16, 16, 128, 128, 4, 262144, 248044),
                preset("qwen3.5-2b", "Qwen3.5-2B text model shape (24 layers [L,L,L,F]x6, tied 248k head)",
                        248320, 2048, 6144, 24, 8, 2, 256, 16, 16, 128, 128, 4, 262144, 248044),
                preset("qwen3.5-tiny", "tiny Qwen3.5 for tests and demos (4 layers, DeltaNet 2 key / 4 value heads)",
                        512, 64, 128, 4, 4, 2, 32, 2, 4, 16, 24, 4, 4096, 2));
    }

    static Preset preset(String name, String description, int vocab, int hidden, int intermediate, int layers,
                         int heads, int kvHeads, int headDim, int linearKeyHeads, int linearValueHeads,
                         int linearKeyDim, int linearValueDim, int convKernel, int maxPositions, int eos) {
        ObjectNode t = Json.MAPPER.createObjectNode();
        t.put("model_type", "qwen3_5_text");
        t.put("vocab_size", vocab);
        t.put("hidden_size", hidden);
        t.put("intermediate_size", intermediate);
        t.put("num_hidden_layers", layers);
        ArrayNode types = t.putArray("layer_types");
        for (int i = 0; i < layers; i++) {
            types.add((i + 1) % 4 == 0 ? "full_attention" : "linear_attention");
        }
        t.put("full_attention_interval", 4);
        t.put("num_attention_heads", heads);
        t.put("num_key_value_heads", kvHeads);
        t.put("head_dim", headDim);
        t.put("attn_output_gate", true);
        t.put("linear_num_key_heads", linearKeyHeads);
        t.put("linear_num_value_heads", linearValueHeads);
        t.put("linear_key_head_dim", linearKeyDim);
        t.put("linear_value_head_dim", linearValueDim);
        t.put("linear_conv_kernel_dim", convKernel);
        t.put("hidden_act", "silu");
        t.put("rms_norm_eps", 1e-6);
        ObjectNode rope = t.putObject("rope_parameters");
        rope.put("rope_type", "default");
        rope.put("rope_theta", 1.0e7);
        rope.put("partial_rotary_factor", 0.25);
        // mRoPE's temporal/height/width split of the R/2 rotary frequencies (11/11/10 for R = 64).
        int half = (int) (headDim * 0.25) / 2;
        ArrayNode section = rope.putArray("mrope_section");
        section.add((half + 2) / 3).add((half + 1) / 3).add(half / 3);
        rope.put("mrope_interleaved", true);
        t.put("max_position_embeddings", maxPositions);
        t.put("attention_bias", false);
        t.put("tie_word_embeddings", true);
        t.put("eos_token_id", eos);
        t.put("mamba_ssm_dtype", "float32");
        t.put("torch_dtype", "bfloat16");

        ObjectNode c = Json.MAPPER.createObjectNode();
        c.putArray("architectures").add("Qwen3_5ForConditionalGeneration");
        c.put("model_type", "qwen3_5");
        c.set("text_config", t);
        c.put("tie_word_embeddings", true);
        return new Preset(name, "qwen3_5", description, c, QwenPresets::init,
                n -> n.startsWith("lm_head.") || n.endsWith(".bias") || n.startsWith("model.visual.") || n.startsWith("mtp."));
    }

    /** Decoder norms are stored around 0 (used as 1 + w); the DeltaNet output norm around 1 (used as w). */
    static Init init(String name) {
        if (name.endsWith("linear_attn.norm.weight")) {
            return Init.ONES;
        }
        if (name.endsWith("norm.weight")) {
            return Init.NEAR_ZERO;
        }
        if (name.endsWith("A_log")) {
            return Init.A_LOG;
        }
        if (name.endsWith("dt_bias")) {
            return Init.DT_BIAS;
        }
        if (name.endsWith("conv1d.weight")) {
            return Init.CONV;
        }
        return Init.LINEAR;
    }
}
