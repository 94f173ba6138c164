package dev.tessera.model;

import dev.tessera.tensor.WorkerPool;

/**
 * How to build a model.
 *
 * @param threads worker threads for the kernels (including the caller)
 * @param maxContext cap on positions a state may hold (0: the model's own max_position_embeddings)
 */
public record LoadOptions(int threads, int maxContext) {
    public static LoadOptions defaults() {
        return new LoadOptions(WorkerPool.defaultThreads(), 0);
    }

    public LoadOptions withThreads(int t) {
        return new LoadOptions(t <= 0 ? WorkerPool.defaultThreads() : t, maxContext);
    }

    public LoadOptions withMaxContext(int c) {
        return new LoadOptions(threads, c);
    }

    int contextFor(int modelMax) {
        return maxContext > 0 ? Math.min(maxContext, modelMax) : modelMax;
    }
}
