package dev.tessera.model;

import dev.tessera.io.HfConfig;

/**
 * Facts about a loaded model that tools report: its family, sizes, limits, and the bytes a decode step reads.
 *
 * @param architecture Tessera's family name: "llama", "granitemoehybrid" or "qwen3_5"
 * @param source where the weights came from (a folder, a bundle, "synthetic:...")
 * @param config the (text) config the model was built from
 * @param contextLength maximum positions (from max_position_embeddings)
 * @param weightBytes bytes of all weights held
 * @param decodeBytesPerToken bytes of weights read by one decode step (embedding: one row)
 */
public record ModelInfo(
        String architecture,
        String source,
        HfConfig config,
        int vocabSize,
        int hiddenSize,
        int numLayers,
        int contextLength,
        long parameterCount,
        long weightBytes,
        long decodeBytesPerToken) {}
