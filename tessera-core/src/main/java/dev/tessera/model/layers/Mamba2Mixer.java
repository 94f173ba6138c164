package dev.tessera.model.layers;

import dev.tessera.model.state.ConvState;
import dev.tessera.model.state.SsmState;
import dev.tessera.tensor.Compute;
import dev.tessera.tensor.Kernels;
import dev.tessera.tensor.Matrix;
import dev.tessera.tensor.ScalarKernels;
import dev.tessera.tensor.WorkerPool;

/**
 * The Mamba2 mixer as Hugging Face's Granite 4.0-H / Bamba code computes it (ARCHITECTURES.md §2.3):
 * <pre>
 * [z | xBC | dtraw] = in_proj · a
 * [x | B | C]       = silu(causal depthwise conv1d(xBC) + bias)          (conv window carried in {@link ConvState})
 * dt_h              = clamp(softplus(dtraw_h + dt_bias_h), time_step_limit);   A_h = −exp(A_log_h)
 * S_h               = S_h · exp(dt_h·A_h) + (dt_h·B_g) ⊗ x_h        head h reads group g = h / (heads/groups)
 * y_h               = S_h · C_g + D_h · x_h
 * out               = out_proj · (w ⊙ rms(y ⊙ silu(z)))              one RMS over the whole inner width
 * </pre>
 * Two forms give one result. A single token (decode) runs the recurrence above. A chunk of several tokens runs
 * the projections as matrix products over the whole chunk and the scan in the chunked "SSD" form: the chunk is cut
 * into blocks of {@link #BLOCK} tokens; inside a block the outputs are a masked, decayed {@code (C·Bᵀ)} matrix applied
 * to {@code dt·x}, plus the decayed read-out of the state entering the block; the state then jumps over the whole
 * block in one update. {@code C·Bᵀ} depends only on the group, so it is computed once per group and shared by all its
 * heads; the heads then run in parallel. A chunk continues from whatever state it is given (its conv sees the stored
 * window, its scan starts from the stored S), so chunked prefill, token-by-token prefill and decode agree.
 */
public final class Mamba2Mixer {
    /** Tokens per SSD block: large enough that the block products amortise, small enough that a head's block fits L1. */
    public static final int BLOCK = 64;

    /**
     * Sizes of one mixer and the derived row ranges of {@code in_proj}: {@code [z (dInner) | xBC (convDim) | dt (heads)]},
     * inside xBC {@code [x (dInner) | B (groups·dState) | C (groups·dState)]}.
     */
    public record Shape(int hidden, int heads, int headDim, int groups, int dState, int kernel) {
        public int dInner() {
            return heads * headDim;
        }

        public int convDim() {
            return dInner() + 2 * groups * dState;
        }

        public int projRows() {
            return dInner() + convDim() + heads;
        }

        /** First in_proj row of xBC (z occupies rows 0 .. dInner-1). */
        public int xbcRow() {
            return dInner();
        }

        /** First in_proj row of dt. */
        public int dtRow() {
            return dInner() + convDim();
        }

        /** Offset of B inside xBC (x comes first). */
        public int bOffset() {
            return dInner();
        }

        /** Offset of C inside xBC. */
        public int cOffset() {
            return dInner() + groups * dState;
        }

        /** The B/C group head h reads: heads are grouped in contiguous blocks (not round-robin). */
        public int groupOf(int head) {
            return head / (heads / groups);
        }
    }

    private final Shape shape;
    private final Matrix inProj;
    private final float[] inBias;
    /** Conv taps transposed to {@code [K][convDim]} so each tap is one vector operation across channels. */
    private final float[] taps;
    private final float[] convBias;
    private final float[] dtBias;
    /** A = −exp(A_log), precomputed once. */
    private final float[] a;
    private final float[] d;
    private final float dtMin;
    private final float dtMax;
    private final GateThenNorm norm;
    private final Matrix outProj;
    private final float[] outBias;

    /**
     * @param convWeight {@code conv1d.weight} as {@code [convDim][K]} (the middle axis of {@code [C,1,K]} dropped)
     * @param convBias {@code conv1d.bias}, or null when {@code mamba_conv_bias} is false
     * @param aLog {@code A_log} (A = −exp(A_log))
     * @param dtMin lower clamp of dt after softplus ({@code time_step_limit[0]}; 0 means none)
     * @param dtMax upper clamp ({@code time_step_limit[1]}; +∞ means none)
     * @param inBias / outBias projection biases, or null ({@code mamba_proj_bias} false)
     */
    public Mamba2Mixer(Shape shape, Matrix inProj, float[] inBias, float[] convWeight, float[] convBias, float[] dtBias,
                       float[] aLog, float[] d, double dtMin, double dtMax, GateThenNorm norm, Matrix outProj, float[] outBias) {
        this.shape = shape;
        this.inProj = inProj;
        this.inBias = inBias;
        int c = shape.convDim();
        int k = shape.kernel();
        this.taps = new float[k * c];
        for (int ch = 0; ch < c; ch++) {
            for (int j = 0; j < k; j++) {
                taps[j * c + ch] = convWeight[ch * k + j];
            }
        }
        this.convBias = convBias != null ? convBias : new float[c];
        this.dtBias = dtBias;
        this.a = new float[aLog.length];
        for (int h = 0; h < a.length; h++) {
            a[h] = -(float) Math.exp(aLog[h]);
        }
        this.d = d;
        this.dtMin = (float) dtMin;
        this.dtMax = (float) dtMax;
        this.norm = norm;
        this.outProj = outProj;
        this.outBias = outBias;
    }

    public Shape shape() {
        return shape;
    }

    public ConvState newConvState() {
        return new ConvState(shape.convDim(), shape.kernel());
    }

    public SsmState newSsmState() {
        return new SsmState(shape.heads(), shape.headDim(), shape.dState());
    }

    /** dt after softplus (torch threshold 20) and the configured clamp (HF's default (0, ∞) clamps nothing). */
    public float dt(int head, float raw) {
        float v = ScalarKernels.softplus(raw + dtBias[head]);
        return Math.min(Math.max(v, dtMin), dtMax);
    }

    /**
     * {@code out[t] = mixer(a[t])} for the n rows of {@code a} (hidden wide), continuing from and updating the conv
     * window and SSM state. One token runs the recurrence; several run the chunked form, unless {@code recurrent}
     * forces the recurrence for every token (tests and benchmarks compare the two).
     */
    public void forward(Compute compute, float[] in, int n, ConvState conv, SsmState ssm, Scratch s, float[] out, boolean recurrent) {
        Shape sh = shape;
        int proj = sh.projRows();
        int heads = sh.heads();
        s.ensure(sh, n);
        compute.matmul(inProj, in, 0, sh.hidden(), n, s.zx, 0, proj);
        if (inBias != null) {
            for (int t = 0; t < n; t++) {
                Kernels.add(inBias, 0, s.zx, t * proj, proj);
            }
        }
        Task task = s.task;
        task.arm(this, conv, ssm, n);
        // Conv reads the stored window for its first K-1 taps, so the window moves only afterwards.
        compute.forRange(n, task.phase(Task.CONV));
        conv.push(s.zx, sh.xbcRow(), proj, n);
        for (int t = 0; t < n; t++) {
            int row = t * proj + sh.dtRow();
            for (int h = 0; h < heads; h++) {
                s.dt[t * heads + h] = dt(h, s.zx[row + h]);
            }
        }
        if (n == 1 || recurrent) {
            compute.forRange(heads, task.phase(Task.RECURRENT));
        } else {
            int blocks = (n + BLOCK - 1) / BLOCK;
            compute.forRange(blocks * sh.groups(), task.phase(Task.CB));
            compute.forRange(heads, task.phase(Task.SSD));
        }
        int dInner = sh.dInner();
        for (int t = 0; t < n; t++) {
            norm.apply(s.y, t * dInner, s.zx, t * proj, s.y, t * dInner);
        }
        compute.matmul(outProj, s.y, 0, dInner, n, out, 0, sh.hidden());
        if (outBias != null) {
            for (int t = 0; t < n; t++) {
                Kernels.add(outBias, 0, out, t * sh.hidden(), sh.hidden());
            }
        }
    }

    /** Per-session buffers (shared by every Mamba2 layer of a model: the layers run one after another). */
    public static final class Scratch {
        float[] zx = new float[0];
        float[] xbc = new float[0];
        float[] dt = new float[0];
        float[] y = new float[0];
        /** {@code C·Bᵀ} per (block, group): {@code [blocks·groups][BLOCK][BLOCK]}, lower triangle used. */
        float[] cb = new float[0];
        /** B per (block, group) transposed to {@code [dState][BLOCK]}: the state update reads it by state index. */
        float[] bt = new float[0];
        /**
         * Per-head work area, so heads never share memory: four rows of BLOCK floats (running decay, A·dt, dt,
         * segment sums), four coefficient rows, and the head's x for the block, {@code [BLOCK][headDim]}.
         * Copying x out of the {@code convDim}-strided chunk rows matters: those rows are a multiple of 1 KiB apart,
         * so a block of them lands on a few L1 sets and the products that re-read it would thrash.
         */
        float[] perHead = new float[0];
        final Task task = new Task(this);

        void ensure(Shape sh, int n) {
            if (zx.length < n * sh.projRows()) {
                zx = new float[n * sh.projRows()];
            }
            if (xbc.length < n * sh.convDim()) {
                xbc = new float[n * sh.convDim()];
            }
            if (dt.length < n * sh.heads()) {
                dt = new float[n * sh.heads()];
            }
            if (y.length < n * sh.dInner()) {
                y = new float[n * sh.dInner()];
            }
            if (n > 1) {
                int blocks = (n + BLOCK - 1) / BLOCK;
                if (cb.length < blocks * sh.groups() * BLOCK * BLOCK) {
                    cb = new float[blocks * sh.groups() * BLOCK * BLOCK];
                }
                if (bt.length < blocks * sh.groups() * sh.dState() * BLOCK) {
                    bt = new float[blocks * sh.groups() * sh.dState() * BLOCK];
                }
                if (perHead.length < sh.heads() * Task.perHead(sh)) {
                    perHead = new float[sh.heads() * Task.perHead(sh)];
                }
            }
        }
    }

    /** The long-lived body of every parallel section of the mixer; {@link #phase} selects which. */
    static final class Task implements WorkerPool.RangeTask {
        static final int CONV = 0;
        static final int RECURRENT = 1;
        static final int CB = 2;
        static final int SSD = 3;
        /** Floats of {@link Scratch#perHead} per head. */
        static int perHead(Shape sh) {
            return 8 * BLOCK + BLOCK * sh.headDim();
        }

        private final Scratch s;
        private Mamba2Mixer m;
        private ConvState conv;
        private SsmState ssm;
        private int n;
        private int phase;

        Task(Scratch s) {
            this.s = s;
        }

        void arm(Mamba2Mixer m, ConvState conv, SsmState ssm, int n) {
            this.m = m;
            this.conv = conv;
            this.ssm = ssm;
            this.n = n;
        }

        Task phase(int p) {
            this.phase = p;
            return this;
        }

        @Override
        public void run(int from, int to) {
            for (int i = from; i < to; i++) {
                switch (phase) {
                    case CONV -> conv(i);
                    case RECURRENT -> recurrent(i);
                    case CB -> cb(i);
                    default -> ssd(i);
                }
            }
        }

        /** Token t: {@code xbc[t] = silu(bias + Σ_k taps[k] ⊙ input[t-(K-1)+k])}, inputs before the chunk from the window. */
        private void conv(int t) {
            Shape sh = m.shape;
            int c = sh.convDim();
            int k = sh.kernel();
            int proj = sh.projRows();
            float[] out = s.xbc;
            int o = t * c;
            System.arraycopy(m.convBias, 0, out, o, c);
            for (int j = 0; j < k; j++) {
                int tau = t - (k - 1) + j;
                if (tau < 0) {
                    Kernels.mulAdd(m.taps, j * c, conv.window(), (tau + k - 1) * c, out, o, c);
                } else {
                    Kernels.mulAdd(m.taps, j * c, s.zx, tau * proj + sh.xbcRow(), out, o, c);
                }
            }
            Kernels.silu(out, o, c);
        }

        /**
         * Head h, token by token, in HF's decode order: {@code S = S·dA + (dt·B[n])·x}, then {@code y = Σ_n C[n]·S[n]}
         * and the D skip on the post-conv x.
         */
        private void recurrent(int h) {
            Shape sh = m.shape;
            int p = sh.headDim();
            int ns = sh.dState();
            int c = sh.convDim();
            int g = sh.groupOf(h);
            float[] st = ssm.data();
            int so = ssm.offset(h);
            float[] xbc = s.xbc;
            for (int t = 0; t < n; t++) {
                int row = t * c;
                int x = row + h * p;
                int b = row + sh.bOffset() + g * ns;
                int cc = row + sh.cOffset() + g * ns;
                float dt = s.dt[t * sh.heads() + h];
                float dA = (float) Math.exp(dt * m.a[h]);
                for (int j = 0; j < ns; j++) {
                    Kernels.decayUpdate(st, so + j * p, dA, dt * xbc[b + j], xbc, x, p);
                }
                int y = t * sh.dInner() + h * p;
                Kernels.weightedRows(0f, s.y, y, p, xbc, cc, ns, st, so, p);
                Kernels.axpy(m.d[h], xbc, x, s.y, y, p);
            }
        }

        /** Block b, group g (index u = b·groups + g): {@code cb[i][j] = C_i · B_j} for j ≤ i, and B transposed. */
        private void cb(int u) {
            Shape sh = m.shape;
            int groups = sh.groups();
            int b = u / groups;
            int g = u % groups;
            int t0 = b * BLOCK;
            int q = Math.min(BLOCK, n - t0);
            int c = sh.convDim();
            int ns = sh.dState();
            int base = u * BLOCK * BLOCK;
            for (int i = 0; i < q; i++) {
                int ci = (t0 + i) * c + sh.cOffset() + g * ns;
                for (int j = 0; j <= i; j++) {
                    s.cb[base + i * BLOCK + j] = Kernels.dot(s.xbc, ci, s.xbc, (t0 + j) * c + sh.bOffset() + g * ns, ns);
                }
            }
            int bt = u * ns * BLOCK;
            for (int j = 0; j < q; j++) {
                int bj = (t0 + j) * c + sh.bOffset() + g * ns;
                for (int k = 0; k < ns; k++) {
                    s.bt[bt + k * BLOCK + j] = s.xbc[bj + k];
                }
            }
        }

        /**
         * Head h over the whole chunk, block by block (§2.3 "SSD"): with {@code a_t = A·dt_t} and {@code c_i} its
         * running sum inside the block,
         * <pre>
         * y_i  = exp(c_i)·(C_i·S) + Σ_{j≤i} (C_i·B_j)·exp(Σ_{(j,i]} a)·dt_j·x_j + D·x_i
         * S   ← exp(c_last)·S + Σ_j exp(c_last − c_j)·dt_j·(B_j ⊗ x_j)
         * </pre>
         * The three products (read-out, intra-block, state jump) each run four outputs per pass over their rows
         * ({@link Kernels#weightedRows4}); decay factors below {@link Kernels#NEGLIGIBLE} are exact zeros, which keeps
         * strongly decaying heads out of slow subnormal arithmetic.
         */
        private void ssd(int h) {
            Shape sh = m.shape;
            int p = sh.headDim();
            int ns = sh.dState();
            int c = sh.convDim();
            int dInner = sh.dInner();
            int heads = sh.heads();
            int g = sh.groupOf(h);
            float aH = m.a[h];
            float dH = m.d[h];
            float[] st = ssm.data();
            int so = ssm.offset(h);
            float[] xbc = s.xbc;
            float[] y = s.y;
            float[] w = s.perHead;
            int cum = h * perHead(sh);          // c_j: running sum of a inside the block
            int av = cum + BLOCK;               // a_j = A·dt_j
            int dts = av + BLOCK;               // dt_j
            int seg = dts + BLOCK;              // segment sums of one row, later the state-update weights
            int rows4 = seg + BLOCK;            // four rows of coefficients, [4][BLOCK]
            int xs = rows4 + 4 * BLOCK;         // x_j of this head, [BLOCK][P]
            int blocks = (n + BLOCK - 1) / BLOCK;
            for (int b = 0; b < blocks; b++) {
                int t0 = b * BLOCK;
                int q = Math.min(BLOCK, n - t0);
                float run = 0f;
                for (int j = 0; j < q; j++) {
                    float dt = s.dt[(t0 + j) * heads + h];
                    w[dts + j] = dt;
                    w[av + j] = aH * dt;
                    run += w[av + j];
                    w[cum + j] = run;
                    System.arraycopy(xbc, (t0 + j) * c + h * p, w, xs + j * p, p);
                }
                int y0 = t0 * dInner + h * p;
                int c0 = t0 * c + sh.cOffset() + g * ns;

                // 1. The state entering the block, read out by every token's C and decayed to it: exp(c_i)·(C_i·S).
                int i = 0;
                for (; i + 4 <= q; i += 4) {
                    Kernels.weightedRows4(0f, y, y0 + i * dInner, dInner, p, xbc, c0 + i * c, c, ns, st, so, p);
                }
                for (; i < q; i++) {
                    Kernels.weightedRows(0f, y, y0 + i * dInner, p, xbc, c0 + i * c, ns, st, so, p);
                }
                for (i = 0; i < q; i++) {
                    float decay = ScalarKernels.flushNegligible((float) Math.exp(w[cum + i]));
                    if (decay == 0f) {
                        java.util.Arrays.fill(y, y0 + i * dInner, y0 + i * dInner + p, 0f);
                    } else if (decay != 1f) {
                        Kernels.scale(y, y0 + i * dInner, p, decay);
                    }
                }

                // 2. Inside the block: y_i += Σ_{j≤i} (C_i·B_j)·exp(Σ_{(j,i]} a)·dt_j·x_j, four tokens at a time.
                int cbBase = (b * sh.groups() + g) * BLOCK * BLOCK;
                for (i = 0; i + 4 <= q; i += 4) {
                    for (int u = 0; u < 4; u++) {
                        int r = rows4 + u * BLOCK;
                        decayedRow(w, i + u, cum, av, seg, dts, cbBase, r);
                        java.util.Arrays.fill(w, r + i + u + 1, r + i + 4, 0f); // masked: j > i
                    }
                    Kernels.weightedRows4(1f, y, y0 + i * dInner, dInner, p, w, rows4, BLOCK, i + 4, w, xs, p);
                }
                for (; i < q; i++) {
                    decayedRow(w, i, cum, av, seg, dts, cbBase, rows4);
                    Kernels.weightedRows(1f, y, y0 + i * dInner, p, w, rows4, i + 1, w, xs, p);
                }
                for (i = 0; i < q; i++) {
                    Kernels.axpy(dH, w, xs + i * p, y, y0 + i * dInner, p);
                }

                // 3. Jump the state over the block:
                //    S[k] ← exp(c_last)·S[k] + Σ_j (exp(c_last − c_j)·dt_j·B_j[k])·x_j, four state rows at a time.
                float last = w[cum + q - 1];
                // Decay factors below NEGLIGIBLE become exact zeros (no subnormal arithmetic).
                float decayAll = ScalarKernels.flushNegligible((float) Math.exp(last));
                for (int j = 0; j < q; j++) {
                    w[seg + j] = ScalarKernels.flushNegligible((float) Math.exp(last - w[cum + j])) * w[dts + j];
                }
                int bt = (b * sh.groups() + g) * ns * BLOCK;
                int k = 0;
                for (; k + 4 <= ns; k += 4) {
                    for (int u = 0; u < 4; u++) {
                        int bk = bt + (k + u) * BLOCK;
                        int r = rows4 + u * BLOCK;
                        for (int j = 0; j < q; j++) {
                            w[r + j] = w[seg + j] * s.bt[bk + j];
                        }
                    }
                    Kernels.weightedRows4(decayAll, st, so + k * p, p, p, w, rows4, BLOCK, q, w, xs, p);
                }
                for (; k < ns; k++) {
                    int bk = bt + k * BLOCK;
                    for (int j = 0; j < q; j++) {
                        w[rows4 + j] = w[seg + j] * s.bt[bk + j];
                    }
                    Kernels.weightedRows(decayAll, st, so + k * p, p, w, rows4, q, w, xs, p);
                }
            }
        }

        /**
         * Row i of the block's decayed matrix into {@code w[out .. out+i]}: {@code (C_i·B_j)·exp(Σ_{(j,i]} a)·dt_j}.
         * The decays are segment sums of a (as HF's segsum does), not differences of running sums, so a long decayed
         * prefix cannot cancel their precision away; no exponent is ever positive.
         */
        private void decayedRow(float[] w, int i, int cum, int av, int seg, int dts, int cbBase, int out) {
            w[seg + i] = 0f;
            for (int j = i - 1; j >= 0; j--) {
                w[seg + j] = w[seg + j + 1] + w[av + j + 1];
            }
            Kernels.decayRow(s.cb, cbBase + i * BLOCK, w, seg, w, dts, w, out, i + 1);
        }
    }
}
