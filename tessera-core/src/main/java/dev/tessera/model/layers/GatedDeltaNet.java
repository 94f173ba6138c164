package dev.tessera.model.layers;

import dev.tessera.model.state.ConvState;
import dev.tessera.model.state.RecurrentState;
import dev.tessera.tensor.Compute;
import dev.tessera.tensor.Kernels;
import dev.tessera.tensor.Matrix;
import dev.tessera.tensor.ScalarKernels;
import dev.tessera.tensor.WorkerPool;

/**
 * Gated DeltaNet linear attention, Qwen3.5's "linear_attention" layer (ARCHITECTURES.md §3.3). For each token:
 * <pre>
 * mixed = Wqkv·a  (rows [q (nk·dk) | k (nk·dk) | v (nv·dv)], also the conv channels);  z = Wz·a;  b = Wb·a;  a' = Wa·a
 * mixed = silu(causal depthwise conv1d(mixed), no bias)           rolling window of K-1 pre-conv inputs
 * per value head j, key head i = j / r  (r = nv / nk):
 *     q = l2norm(q_i) / sqrt(dk);  k = l2norm(k_i);  beta = sigmoid(b_j);  g = -exp(A_log_j)·softplus(a'_j + dt_bias_j)
 *     S ← S·exp(g);  S ← S + k ⊗ ((v_j − Sᵀk)·beta);  o_j = Sᵀq            S is dk × dv, fp32
 *     o_j = (w ⊙ rms(o_j)) ⊙ silu(z_j)                               output norm with w (not 1 + w), per value head
 * out = Wout · concat_j(o_j)
 * </pre>
 * Two forms compute the recurrence: the token-by-token step (decode) and the 64-token chunked form (prefill), which
 * turns most of the work into small dense products (see {@link #chunk}). Both continue from whatever conv window and
 * recurrent state the sequence holds, so prefill in pieces, decode after prefill and one long prefill agree.
 */
public final class GatedDeltaNet {
    /** Tokens per block of the chunked form (HF's chunk size; any size gives the same result up to rounding). */
    public static final int CHUNK = 64;

    /** Which form runs the recurrence. AUTO: the step for single tokens, the chunked form for several. */
    public enum Form {
        AUTO,
        RECURRENT,
        CHUNKED
    }

    private final Matrix wqkv;
    private final Matrix wz;
    private final Matrix wb;
    private final Matrix wa;
    private final Matrix wout;
    /** Conv weights transposed to {@code [K][convDim]}: tap k of every channel is one contiguous row. */
    private final float[] convTaps;
    private final float[] dtBias;
    /** {@code -exp(A_log)} per value head, computed once in fp32 as HF does on every call. */
    private final float[] negA;
    private final float[] normWeight;
    private final float eps;
    private final int nk;
    private final int nv;
    private final int dk;
    private final int dv;
    private final int kernel;
    private final int keyDim;
    private final int valueDim;
    private final int convDim;
    private final float qScale;

    /**
     * @param conv1d the checkpoint's {@code [convDim, 1, K]} weights flattened ({@code conv1d[c·K + k]})
     * @param aLog {@code A_log} per value head
     * @param normWeight output norm weight over dv (used as {@code w})
     */
    public GatedDeltaNet(Matrix wqkv, Matrix wz, Matrix wb, Matrix wa, Matrix wout, float[] conv1d, int kernel,
                         float[] dtBias, float[] aLog, float[] normWeight, double eps, int nk, int nv, int dk, int dv) {
        this.wqkv = wqkv;
        this.wz = wz;
        this.wb = wb;
        this.wa = wa;
        this.wout = wout;
        this.nk = nk;
        this.nv = nv;
        this.dk = dk;
        this.dv = dv;
        this.kernel = kernel;
        this.keyDim = nk * dk;
        this.valueDim = nv * dv;
        this.convDim = 2 * keyDim + valueDim;
        this.convTaps = new float[kernel * convDim];
        for (int c = 0; c < convDim; c++) {
            for (int k = 0; k < kernel; k++) {
                convTaps[k * convDim + c] = conv1d[c * kernel + k];
            }
        }
        this.dtBias = dtBias.clone();
        this.negA = new float[nv];
        for (int j = 0; j < nv; j++) {
            negA[j] = -(float) Math.exp(aLog[j]);
        }
        this.normWeight = normWeight.clone();
        this.eps = (float) eps;
        this.qScale = (float) (1.0 / Math.sqrt(dk));
    }

    public ConvState newConvState() {
        return new ConvState(convDim, kernel);
    }

    public RecurrentState newRecurrentState() {
        return new RecurrentState(nv, dk, dv);
    }

    /**
     * {@code out[t] = layer(a[t])} for the n rows of {@code a} (hidden width each), continuing the sequence held by
     * {@code conv} and {@code rec} and advancing both.
     */
    public void forward(Compute compute, float[] a, int n, int hidden, ConvState conv, RecurrentState rec,
                        Scratch s, Form form, float[] out) {
        s.ensure(n, this);
        s.mats[0] = wqkv;
        s.mats[1] = wz;
        s.mats[2] = wb;
        s.mats[3] = wa;
        s.outs[0] = s.mixed;
        s.outs[1] = s.z;
        s.outs[2] = s.b;
        s.outs[3] = s.a;
        s.strides[0] = convDim;
        s.strides[1] = valueDim;
        s.strides[2] = nv;
        s.strides[3] = nv;
        compute.matmulN(a, 0, hidden, n, s.mats, s.outs, s.strides);
        s.prep.arm(this, conv);
        compute.forRange(n, s.prep);
        conv.push(s.mixed, 0, convDim, n);
        boolean chunked = form == Form.CHUNKED || (form == Form.AUTO && n > 1);
        s.heads.arm(this, rec, n, chunked);
        compute.forRange(nv, s.heads);
        compute.matmul(wout, s.z, 0, valueDim, n, out, 0, hidden);
    }

    /**
     * Token t: causal conv over the window and the chunk's earlier rows, SiLU, l2-normalised q (then scaled by
     * 1/√dk) and k per key head, beta and the log-decay g per value head.
     */
    private void prepare(int t, ConvState conv, Scratch s) {
        int xo = t * convDim;
        java.util.Arrays.fill(s.x, xo, xo + convDim, 0f);
        int taps = kernel - 1;
        for (int k = 0; k < kernel; k++) {
            int u = t - taps + k;  // input row of this tap: the chunk's row u, or the window's row taps + u
            if (u >= 0) {
                Kernels.mulAdd(convTaps, k * convDim, s.mixed, u * convDim, s.x, xo, convDim);
            } else {
                Kernels.mulAdd(convTaps, k * convDim, conv.window(), (taps + u) * convDim, s.x, xo, convDim);
            }
        }
        Kernels.silu(s.x, xo, convDim);
        for (int i = 0; i < nk; i++) {
            l2norm(s.x, xo + i * dk, dk);
            Kernels.scale(s.x, xo + i * dk, dk, qScale);
            l2norm(s.x, xo + keyDim + i * dk, dk);
        }
        for (int j = 0; j < nv; j++) {
            int o = t * nv + j;
            s.beta[o] = ScalarKernels.sigmoid(s.b[o]);
            s.g[o] = negA[j] * ScalarKernels.softplus(s.a[o] + dtBias[j]);
        }
    }

    /** {@code x / sqrt(Σx² + 1e-6)}: the eps is added to the sum of squares and is fixed (HF's l2norm). */
    public static void l2norm(float[] x, int off, int n) {
        float ss = Kernels.dot(x, off, x, off, n);
        Kernels.scale(x, off, n, (float) (1.0 / Math.sqrt(ss + 1e-6f)));
    }

    /** The recurrence for value head j over the n tokens of the chunk, then its output norm and gate. */
    private void head(int j, int n, RecurrentState rec, boolean chunked, Scratch s, Workspace w) {
        int i = j / (nv / nk);
        float[] state = rec.data();
        int so = rec.offset(j);
        int qo = i * dk;
        int ko = keyDim + i * dk;
        int vo = 2 * keyDim + j * dv;
        int oo = j * dv;
        if (chunked) {
            for (int t0 = 0; t0 < n; t0 += CHUNK) {
                int m = Math.min(CHUNK, n - t0);
                int row = t0 * convDim;
                chunk(state, so, dk, dv, m, s.x, row + qo, row + ko, convDim, s.x, row + vo, convDim,
                        s.beta, s.g, t0 * nv + j, nv, s.o, t0 * valueDim + oo, valueDim, w);
            }
        } else {
            for (int t = 0; t < n; t++) {
                int row = t * convDim;
                int bg = t * nv + j;
                Kernels.deltaStep(state, so, dk, dv, (float) Math.exp(s.g[bg]), s.beta[bg],
                        s.x, row + qo, s.x, row + ko, s.x, row + vo, s.o, t * valueDim + oo);
            }
        }
        for (int t = 0; t < n; t++) {
            int o = t * valueDim + oo;
            Kernels.rmsNorm(s.o, o, normWeight, false, eps, s.o, o, dv);
            Kernels.siluMul(s.z, o, s.o, o, dv);  // z ← silu(z) ⊙ normed o: the out_proj input
        }
    }

    /**
     * The delta rule for one value head over m ≤ {@link #CHUNK} tokens in the chunked (WY) form. With c the
     * inclusive cumulative sum of g, {@code kb_i = beta_i·k_i} and S₀ the state entering the chunk, the per-token
     * deltas {@code d_i = beta_i (v_i − kᵢᵀ S_{i-1} e^{g_i})} satisfy a unit lower-triangular system
     * <pre>
     * d_i + Σ_{j<i} (kb_i·k_j) e^{c_i−c_j} d_j = beta_i v_i − e^{c_i} kb_iᵀ S₀
     * out_i = e^{c_i} q_iᵀ S₀ + Σ_{j≤i} (q_i·k_j) e^{c_i−c_j} d_j
     * S_next = e^{c_{m-1}} S₀ + Σ_j e^{c_{m-1}−c_j} k_j ⊗ d_j
     * </pre>
     * (HF's torch_chunk_gated_delta_rule builds the same system, inverting it explicitly.) The reads of S₀, the state
     * update, the off-diagonal blocks of the forward substitution and the intra-chunk output are dense products
     * ({@link Kernels#gemm}); only 4×4 diagonal blocks of the solve run row by row. Exponentials are only taken of
     * {@code c_i − c_j} with j ≤ i, so they never exceed 1.
     *
     * @param qk holds q rows at {@code qk[qOff + t·qkStride]} (normalised and scaled) and k rows at kOff (normalised)
     * @param beta per-token beta at {@code bgOff + t·bgStride}; g (log decay) at the same indices
     */
    public static void chunk(float[] state, int sOff, int dk, int dv, int m,
                             float[] qk, int qOff, int kOff, int qkStride, float[] v, int vOff, int vStride,
                             float[] beta, float[] g, int bgOff, int bgStride,
                             float[] out, int oOff, int oStride, Workspace w) {
        final int ch = CHUNK;
        float[] c = w.c;
        float[] x = w.x;
        float[] kt = w.kt;
        float[] gram = w.gram;
        float[] y = w.y;
        float[] aneg = w.aneg;
        float[] mm = w.mm;
        float[] vn = w.vn;
        float[] dec = w.dec;
        float cum = 0f;
        for (int i = 0; i < m; i++) {
            cum += g[bgOff + i * bgStride];
            c[i] = cum;
        }
        // X = [kb_i (m rows) ; q_i (m rows)] and Kᵀ (dk × m): every product below is then a dense one.
        for (int i = 0; i < m; i++) {
            float bt = beta[bgOff + i * bgStride];
            int kr = kOff + i * qkStride;
            System.arraycopy(qk, qOff + i * qkStride, x, (m + i) * dk, dk);
            for (int r = 0; r < dk; r++) {
                float kv = qk[kr + r];
                x[i * dk + r] = kv * bt;
                kt[r * ch + i] = kv;
            }
        }
        // Gram rows: kb_i·k_j, then q_i·k_j; Y = X·S₀ (one pass over the state), rows scaled by e^{c_i}.
        Kernels.gemm(x, 0, dk, 2 * m, dk, kt, 0, ch, m, gram, 0, ch, false);
        Kernels.gemm(x, 0, dk, 2 * m, dk, state, sOff, dv, dv, y, 0, dv, false);
        for (int i = 0; i < m; i++) {
            float e = (float) Math.exp(c[i]);
            Kernels.scale(y, i * dv, dv, e);
            Kernels.scale(y, (m + i) * dv, dv, e);
        }
        // Intra-chunk coefficients with the decay mask e^{c_i−c_j} (j ≤ i only): −(kb_i·k_j)·mask strictly below the
        // diagonal (the solve reads nothing else), (q_i·k_j)·mask on and below it, zero to the end of its 4-row block.
        for (int i = 0; i < m; i++) {
            Kernels.expDiff(c, i, dec, 0);
            int gi = i * ch;
            int gq = (m + i) * ch;
            for (int j = 0; j < i; j++) {
                aneg[gi + j] = -gram[gi + j] * dec[j];
            }
            for (int j = 0; j <= i; j++) {
                mm[gi + j] = gram[gq + j] * dec[j];
            }
            java.util.Arrays.fill(mm, gi + i + 1, gi + Math.min(m, (i & ~3) + 4), 0f);
        }
        // Right-hand side beta_i v_i − e^{c_i} kb_iᵀS₀, then forward substitution in blocks of 4 rows.
        for (int i = 0; i < m; i++) {
            float bt = beta[bgOff + i * bgStride];
            int vr = vOff + i * vStride;
            for (int col = 0; col < dv; col++) {
                vn[i * dv + col] = v[vr + col] * bt - y[i * dv + col];
            }
        }
        for (int i0 = 0; i0 < m; i0 += 4) {
            int i1 = Math.min(m, i0 + 4);
            if (i0 > 0) {
                Kernels.gemm(aneg, i0 * ch, ch, i1 - i0, i0, vn, 0, dv, dv, vn, i0 * dv, dv, true);
            }
            for (int i = i0 + 1; i < i1; i++) {
                for (int j = i0; j < i; j++) {
                    Kernels.axpy(aneg[i * ch + j], vn, j * dv, vn, i * dv, dv);
                }
            }
        }
        // Output: inter-chunk part from Y, plus the causal intra-chunk part (row block i0.. needs d_0 .. d_{i1-1}).
        for (int i = 0; i < m; i++) {
            System.arraycopy(y, (m + i) * dv, out, oOff + i * oStride, dv);
        }
        for (int i0 = 0; i0 < m; i0 += 4) {
            int i1 = Math.min(m, i0 + 4);
            Kernels.gemm(mm, i0 * ch, ch, i1 - i0, i1, vn, 0, dv, dv, out, oOff + i0 * oStride, oStride, true);
        }
        // State: decay the old one over the whole chunk, add each token's update decayed from its position to the end
        // (the last decay-mask row is e^{c_{m-1}−c_j}).
        Kernels.scale(state, sOff, dk * dv, (float) Math.exp(c[m - 1]));
        for (int r = 0; r < dk; r++) {
            int row = r * ch;
            for (int j = 0; j < m; j++) {
                kt[row + j] *= dec[j];
            }
        }
        Kernels.gemm(kt, 0, ch, dk, m, vn, 0, dv, dv, state, sOff, dv, true);
    }

    /** Per-thread buffers of the chunked form. */
    public static final class Workspace {
        final float[] c = new float[CHUNK];
        final float[] dec = new float[CHUNK];
        final float[] gram = new float[2 * CHUNK * CHUNK];
        final float[] x;
        final float[] y;
        final float[] aneg = new float[CHUNK * CHUNK];
        final float[] mm = new float[CHUNK * CHUNK];
        final float[] vn;
        final float[] kt;
        final int dk;
        final int dv;

        public Workspace(int dk, int dv) {
            this.dk = dk;
            this.dv = dv;
            this.x = new float[2 * CHUNK * dk];
            this.y = new float[2 * CHUNK * dv];
            this.vn = new float[CHUNK * dv];
            this.kt = new float[dk * CHUNK];
        }
    }

    /** Per-session buffers (shared by all DeltaNet layers of a model; they have the same shapes). */
    public static final class Scratch {
        float[] mixed = new float[0];
        float[] x = new float[0];
        float[] z = new float[0];
        float[] o = new float[0];
        float[] b = new float[0];
        float[] a = new float[0];
        float[] beta = new float[0];
        float[] g = new float[0];
        /** Each thread's own workspace: the heads of a section run on several threads, a few chunks each. */
        private final ThreadLocal<Workspace> workspace = new ThreadLocal<>();
        final Matrix[] mats = new Matrix[4];
        final float[][] outs = new float[4][];
        final int[] strides = new int[4];
        final PrepTask prep = new PrepTask(this);
        final HeadTask heads = new HeadTask(this);

        void ensure(int n, GatedDeltaNet l) {
            if (mixed.length < n * l.convDim) {
                mixed = new float[n * l.convDim];
                x = new float[n * l.convDim];
            }
            if (z.length < n * l.valueDim) {
                z = new float[n * l.valueDim];
                o = new float[n * l.valueDim];
            }
            if (b.length < n * l.nv) {
                b = new float[n * l.nv];
                a = new float[n * l.nv];
                beta = new float[n * l.nv];
                g = new float[n * l.nv];
            }
        }

        /** The calling thread's workspace for {@code l}'s head sizes, made on its first use. */
        Workspace workspace(GatedDeltaNet l) {
            Workspace w = workspace.get();
            if (w == null || w.dk != l.dk || w.dv != l.dv) {
                w = new Workspace(l.dk, l.dv);
                workspace.set(w);
            }
            return w;
        }
    }

    /** Tokens in parallel: conv, activations, normalisation, gates. */
    static final class PrepTask implements WorkerPool.RangeTask {
        private final Scratch s;
        private GatedDeltaNet layer;
        private ConvState conv;

        PrepTask(Scratch s) {
            this.s = s;
        }

        void arm(GatedDeltaNet layer, ConvState conv) {
            this.layer = layer;
            this.conv = conv;
        }

        @Override
        public void run(int from, int to) {
            for (int t = from; t < to; t++) {
                layer.prepare(t, conv, s);
            }
        }
    }

    /** Value heads in parallel: each head's state is independent; each thread works in its own workspace. */
    static final class HeadTask implements WorkerPool.RangeTask {
        private final Scratch s;
        private GatedDeltaNet layer;
        private RecurrentState rec;
        private int n;
        private boolean chunked;

        HeadTask(Scratch s) {
            this.s = s;
        }

        void arm(GatedDeltaNet layer, RecurrentState rec, int n, boolean chunked) {
            this.layer = layer;
            this.rec = rec;
            this.n = n;
            this.chunked = chunked;
        }

        @Override
        public void run(int from, int to) {
            Workspace w = s.workspace(layer);
            for (int j = from; j < to; j++) {
                layer.head(j, n, rec, chunked, s, w);
            }
        }
    }
}
