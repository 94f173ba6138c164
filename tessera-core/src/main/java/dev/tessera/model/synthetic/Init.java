package dev.tessera.model.synthetic;

/**
 * How a synthetic tensor is filled. Scales follow what trained checkpoints of these families look like, so that
 * activations, norms and recurrent states stay in realistic ranges and kernels see realistic data.
 */
public enum Init {
    /** Linear layers and embeddings: uniform with standard deviation 0.02 (HF's initializer_range). */
    LINEAR,
    /** Norm weights used as {@code w ⊙ x̂}. */
    ONES,
    /** Norm weights used as {@code (1 + w) ⊙ x̂}: small values around zero. */
    NEAR_ZERO,
    ZEROS,
    /** Mamba2 / DeltaNet {@code A_log}: log of a decay rate in [1, 16]. */
    A_LOG,
    /** Mamba2 / DeltaNet {@code dt_bias}: inverse softplus of a time step in [0.001, 0.1]. */
    DT_BIAS,
    /** Depthwise conv kernels: uniform in ±1/sqrt(kernel). */
    CONV,
    /** Small biases. */
    BIAS
}
