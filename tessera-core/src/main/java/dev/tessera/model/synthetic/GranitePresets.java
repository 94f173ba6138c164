package dev.tessera.model.synthetic;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.io.Json;
import java.util.List;
import java.util.Set;

/**
 * Granite 4.0-H shapes (ARCHITECTURES.md §2.1): the dense 1b and 350m checkpoints, and a tiny one for tests and
 * demos that keeps what the real ones do not exercise (two B/C groups, all multipliers ≠ 1).
 */
final class GranitePresets {
    private GranitePresets() {}

    static List<Preset> all() {
        return List.of(
                preset("granite-4.0-h-1b", "Granite 4.0-H-1B shape (36 Mamba2 + 4 NoPE attention layers, tied 100k head)",
                        new Shape(100352, 1536, 40, Set.of(5, 15, 25, 35), 12, 4, 48, 64, 128, 1, 4, 4096,
                                0.0078125, 12, 0.22, 6, 131072, 100257, 100257, 100256)),
                preset("granite-4.0-h-350m", "Granite 4.0-H-350M shape (28 Mamba2 + 4 NoPE attention layers, tied 100k head)",
                        new Shape(100352, 768, 32, Set.of(10, 13, 17, 27), 12, 4, 48, 32, 128, 1, 4, 2048,
                                0.015625, 12, 0.246, 3, 32768, 100257, 100257, 100256)),
                preset("granite-tiny", "tiny Granite 4.0-H for tests and demos (6 layers, 2 attention, 2 B/C groups)",
                        new Shape(512, 64, 6, Set.of(2, 5), 4, 2, 8, 16, 16, 2, 4, 128,
                                0.0625, 4, 0.5, 2, 4096, 1, 2, 0)));
    }

    record Shape(int vocab, int hidden, int layers, Set<Integer> attentionAt, int heads, int kvHeads, int mambaHeads,
                 int mambaHeadDim, int dState, int groups, int conv, int sharedIntermediate, double attentionMultiplier,
                 double embeddingMultiplier, double residualMultiplier, double logitsScaling, int maxPositions,
                 int bos, int eos, int pad) {}

    static Preset preset(String name, String description, Shape s) {
        ObjectNode c = Json.MAPPER.createObjectNode();
        c.putArray("architectures").add("GraniteMoeHybridForCausalLM");
        c.put("model_type", "granitemoehybrid");
        c.put("vocab_size", s.vocab());
        c.put("hidden_size", s.hidden());
        c.put("num_hidden_layers", s.layers());
        ArrayNode types = c.putArray("layer_types");
        for (int i = 0; i < s.layers(); i++) {
            types.add(s.attentionAt().contains(i) ? "attention" : "mamba");
        }
        c.put("num_attention_heads", s.heads());
        c.put("num_key_value_heads", s.kvHeads());
        c.put("position_embedding_type", "nope");
        c.put("rope_theta", 10000);
        c.put("attention_bias", false);
        c.put("attention_multiplier", s.attentionMultiplier());
        c.put("embedding_multiplier", s.embeddingMultiplier());
        c.put("residual_multiplier", s.residualMultiplier());
        c.put("logits_scaling", s.logitsScaling());
        c.put("rms_norm_eps", 1e-5);
        c.put("normalization_function", "rmsnorm");
        c.put("hidden_act", "silu");
        c.put("shared_intermediate_size", s.sharedIntermediate());
        c.put("intermediate_size", s.sharedIntermediate());
        c.put("num_local_experts", 0);
        c.put("num_experts_per_tok", 0);
        c.put("mamba_n_heads", s.mambaHeads());
        c.put("mamba_d_head", s.mambaHeadDim());
        c.put("mamba_d_state", s.dState());
        c.put("mamba_n_groups", s.groups());
        c.put("mamba_d_conv", s.conv());
        c.put("mamba_expand", s.mambaHeads() * s.mambaHeadDim() / s.hidden());
        c.put("mamba_chunk_size", 256);
        c.put("mamba_conv_bias", true);
        c.put("mamba_proj_bias", false);
        c.put("max_position_embeddings", s.maxPositions());
        c.put("tie_word_embeddings", true);
        c.put("bos_token_id", s.bos());
        c.put("eos_token_id", s.eos());
        c.put("pad_token_id", s.pad());
        c.put("torch_dtype", "bfloat16");
        return new Preset(name, "granitemoehybrid", description, c, GranitePresets::init,
                n -> n.startsWith("lm_head."));
    }

    /** Initialisers by tensor name, as HF initialises a Granite 4.0-H model (D and norms at one). */
    static Init init(String name) {
        if (name.endsWith("norm.weight") || name.endsWith("mamba.D")) {
            return Init.ONES;
        }
        if (name.endsWith("mamba.A_log")) {
            return Init.A_LOG;
        }
        if (name.endsWith("mamba.dt_bias")) {
            return Init.DT_BIAS;
        }
        if (name.endsWith("conv1d.weight")) {
            return Init.CONV;
        }
        if (name.endsWith(".bias")) {
            return Init.BIAS;
        }
        return Init.LINEAR;
    }
}
