package dev.tessera.model;

import dev.tessera.io.HfConfig;
import dev.tessera.tensor.Matrix;

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
        long decodeBytesPerToken) {

    /**
     * The facts as every architecture derives them: parameters and bytes are the embedding, the head when untied,
     * the layers' matrices and {@code smallFloats} fp32 values (norms, convolutions, per-head constants); a decode
     * step reads all of it but only one row of an untied embedding.
     */
    public static ModelInfo of(String architecture, String source, HfConfig config, int numLayers, int contextLength,
                               Matrix embedding, Matrix head, Iterable<Matrix> layerMatrices, long smallFloats) {
        boolean tied = head == embedding;
        long params = smallFloats;
        long bytes = smallFloats * Float.BYTES;
        for (Matrix m : layerMatrices) {
            params += (long) m.rows() * m.cols();
            bytes += m.byteSize();
        }
        for (Matrix m : tied ? new Matrix[] {embedding} : new Matrix[] {embedding, head}) {
            params += (long) m.rows() * m.cols();
            bytes += m.byteSize();
        }
        long oneRow = embedding.byteSize() / embedding.rows();
        // Tied: the head pass reads the whole embedding anyway, plus the one gathered row.
        long perToken = tied ? bytes + oneRow : bytes - embedding.byteSize() + oneRow;
        return new ModelInfo(architecture, source, config, embedding.rows(), embedding.cols(), numLayers, contextLength,
                params, bytes, perToken);
    }
}
