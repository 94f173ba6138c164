package dev.tessera.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tessera.TesseraException;
import dev.tessera.io.HfConfig;
import dev.tessera.io.WeightSource;
import dev.tessera.model.layers.Attention;
import dev.tessera.model.layers.GateThenNorm;
import dev.tessera.model.layers.Mamba2Mixer;
import dev.tessera.model.layers.OutputHead;
import dev.tessera.model.layers.RmsNorm;
import dev.tessera.model.layers.RopeConfig;
import dev.tessera.model.layers.SwiGluMlp;
import dev.tessera.model.state.ConvState;
import dev.tessera.model.state.KvCache;
import dev.tessera.model.state.SsmState;
import dev.tessera.tensor.Compute;
import dev.tessera.tensor.Kernels;
import dev.tessera.tensor.Matrix;
import dev.tessera.tensor.Rope;
import java.util.ArrayList;
import java.util.List;

/**
 * IBM Granite 4.0-H, dense ({@code granitemoehybrid} with no experts): Mamba2 layers interleaved with a few
 * attention layers without positional encoding (ARCHITECTURES.md §2):
 * <pre>
 * h = E[token] · embedding_multiplier
 * per layer:  h += mixer(rmsnorm(h)) · residual_multiplier          mixer = Mamba2, or NoPE GQA scaled by attention_multiplier
 *             h += output_linear · (silu(gate) ⊙ up)(rmsnorm(h)) · residual_multiplier     [gate | up] = input_linear
 * logits = (W_lm · rmsnorm(h)) / logits_scaling
 * </pre>
 */
public final class GraniteHybrid implements Model {

    /** The config keys this architecture reads (ARCHITECTURES.md §2.1), every value from the checkpoint's file. */
    public record Config(int vocab, int hidden, int layers, boolean[] attentionLayers, int heads, int kvHeads, int headDim,
                         double attentionMultiplier, double embeddingMultiplier, double residualMultiplier,
                         double logitsScaling, double eps, int sharedIntermediate, Mamba2Mixer.Shape mamba,
                         boolean convBias, boolean projBias, double dtMin, double dtMax, RopeConfig rope,
                         int maxPositions, boolean tied) {

        public static Config from(HfConfig c) {
            ModelSupport.requireSilu(c);
            int experts = c.integer("num_local_experts", 0);
            if (experts > 0) {
                throw new TesseraException.Unsupported(c.where() + ": key 'num_local_experts' is " + experts
                        + ": this is a mixture-of-experts Granite, which Tessera does not run (it runs the dense "
                        + "Granite 4.0-H models, num_local_experts 0, e.g. granite-4.0-h-1b and -350m)");
            }
            if (c.bool("attention_bias", false)) {
                throw new TesseraException.Unsupported(c.where() + ": key 'attention_bias' true is not supported");
            }
            String normFn = c.string("normalization_function", "rmsnorm");
            if (!normFn.equals("rmsnorm")) {
                throw c.bad("normalization_function", "'" + normFn + "' is not supported (only rmsnorm)");
            }
            int hidden = c.integer("hidden_size");
            int layers = c.integer("num_hidden_layers");
            boolean[] attention = layerKinds(c, layers);
            boolean anyAttention = false;
            for (boolean b : attention) {
                anyAttention |= b;
            }
            int heads = c.integer("num_attention_heads", 32);
            int kvHeads = c.integer("num_key_value_heads", heads);
            if (anyAttention) {
                if (heads <= 0 || hidden % heads != 0) {
                    throw c.bad("num_attention_heads", "(" + heads + ") must divide hidden_size (" + hidden
                            + "): Granite's attention head size is hidden_size / num_attention_heads");
                }
                if (kvHeads <= 0 || heads % kvHeads != 0) {
                    throw c.bad("num_key_value_heads", "(" + kvHeads + ") must divide num_attention_heads (" + heads + ")");
                }
            }
            int headDim = heads > 0 ? hidden / heads : 0;
            // Only "rope" turns rotary on (HF); "nope", null or absent mean no positional encoding at all.
            String pos = c.string("position_embedding_type", "nope");
            RopeConfig rope = pos.equals("rope") ? RopeConfig.read(c, 10000.0, 1.0) : null;

            int mHeads = positive(c, "mamba_n_heads", c.integer("mamba_n_heads", 128));
            int expand = positive(c, "mamba_expand", c.integer("mamba_expand", 2));
            int dHead = mambaHeadDim(c, expand, hidden, mHeads);
            if ((long) expand * hidden != (long) mHeads * dHead) {
                throw c.bad("mamba_d_head", "(" + dHead + ") × mamba_n_heads (" + mHeads + ") must equal mamba_expand ("
                        + expand + ") × hidden_size (" + hidden + ")");
            }
            int groups = positive(c, "mamba_n_groups", c.integer("mamba_n_groups", 1));
            if (mHeads % groups != 0) {
                throw c.bad("mamba_n_groups", "(" + groups + ") must divide mamba_n_heads (" + mHeads + ")");
            }
            int dState = positive(c, "mamba_d_state", c.integer("mamba_d_state", 256));
            int kernel = positive(c, "mamba_d_conv", c.integer("mamba_d_conv", 4));
            double[] limit = timeStepLimit(c);
            int shared = positive(c, "shared_intermediate_size", c.integer("shared_intermediate_size", 1024));
            double logits = c.number("logits_scaling", 1.0);
            if (logits == 0) {
                throw c.bad("logits_scaling", "must not be 0 (logits are divided by it)");
            }
            return new Config(c.integer("vocab_size"), hidden, layers, attention, heads, kvHeads, headDim,
                    c.number("attention_multiplier", 1.0), c.number("embedding_multiplier", 1.0),
                    c.number("residual_multiplier", 1.0), logits, c.number("rms_norm_eps", 1e-6), shared,
                    new Mamba2Mixer.Shape(hidden, mHeads, dHead, groups, dState, kernel),
                    c.bool("mamba_conv_bias", true), c.bool("mamba_proj_bias", false), limit[0], limit[1], rope,
                    c.integer("max_position_embeddings", 2048), c.bool("tie_word_embeddings", false));
        }

        /** Per layer: true for attention. {@code layer_types} or its older name {@code layers_block_type}; absent ⇒ all Mamba. */
        static boolean[] layerKinds(HfConfig c, int layers) {
            String key = c.has("layer_types") ? "layer_types" : c.has("layers_block_type") ? "layers_block_type" : null;
            boolean[] attention = new boolean[layers];
            if (key == null) {
                return attention;
            }
            List<String> kinds = c.strings(key);
            if (kinds.size() != layers) {
                throw c.bad(key, "has " + kinds.size() + " entries but num_hidden_layers is " + layers);
            }
            for (int i = 0; i < layers; i++) {
                attention[i] = switch (kinds.get(i)) {
                    case "mamba", "linear_attention" -> false;
                    case "attention", "full_attention" -> true;
                    default -> throw c.bad(key, "entry " + i + " is '" + kinds.get(i)
                            + "'; expected mamba / attention (or linear_attention / full_attention)");
                };
            }
            return attention;
        }

        /** {@code mamba_d_head}: an integer, or "auto" (or absent) meaning expand·hidden / heads. */
        static int mambaHeadDim(HfConfig c, int expand, int hidden, int heads) {
            JsonNode v = c.json().get("mamba_d_head");
            if (v == null || v.isNull() || (v.isTextual() && v.asText().equals("auto"))) {
                if ((long) expand * hidden % heads != 0) {
                    throw c.bad("mamba_d_head", "is auto but mamba_expand × hidden_size (" + (long) expand * hidden
                            + ") is not divisible by mamba_n_heads (" + heads + ")");
                }
                return (int) ((long) expand * hidden / heads);
            }
            return positive(c, "mamba_d_head", c.integer("mamba_d_head"));
        }

        /** {@code time_step_limit} [min, max] (Python may write Infinity); absent ⇒ (0, ∞), which clamps nothing. */
        static double[] timeStepLimit(HfConfig c) {
            JsonNode v = c.json().get("time_step_limit");
            if (v == null || v.isNull()) {
                return new double[] {0.0, Double.POSITIVE_INFINITY};
            }
            if (!v.isArray() || v.size() != 2 || !v.get(0).isNumber() || !v.get(1).isNumber()) {
                throw c.bad("time_step_limit", "must be a pair of numbers [min, max], got " + v);
            }
            double lo = v.get(0).asDouble();
            double hi = v.get(1).asDouble();
            if (!(lo <= hi)) {
                throw c.bad("time_step_limit", "must have min ≤ max, got " + v);
            }
            return new double[] {lo, hi};
        }

        private static int positive(HfConfig c, String key, int v) {
            if (v <= 0) {
                throw c.bad(key, "must be positive, got " + v);
            }
            return v;
        }

        public int attentionLayerCount() {
            int k = 0;
            for (boolean b : attentionLayers) {
                k += b ? 1 : 0;
            }
            return k;
        }
    }

    /** One decoder layer: exactly one of {@code attention} / {@code mamba} is set. */
    private record Layer(RmsNorm inputNorm, Attention attention, Mamba2Mixer mamba, RmsNorm postNorm, SwiGluMlp mlp) {}

    private final Config cfg;
    private final ModelInfo info;
    private final Compute compute;
    private final Matrix embedding;
    private final Layer[] layers;
    private final OutputHead head;
    private final int context;

    private GraniteHybrid(Config cfg, ModelInfo info, Compute compute, Matrix embedding, Layer[] layers, OutputHead head, int context) {
        this.cfg = cfg;
        this.info = info;
        this.compute = compute;
        this.embedding = embedding;
        this.layers = layers;
        this.head = head;
        this.context = context;
    }

    public static GraniteHybrid load(HfConfig hf, WeightSource w, LoadOptions options) {
        Config c = Config.from(hf);
        int h = c.hidden();
        Mamba2Mixer.Shape ms = c.mamba();
        Matrix embedding = w.matrix("model.embed_tokens", c.vocab(), h);
        Rope rope = c.rope() == null ? null : new Rope((int) (c.headDim() * c.rope().partialRotaryFactor()), c.rope().theta());
        List<Matrix> matrices = new ArrayList<>();
        long smallParams = 0;
        Layer[] layers = new Layer[c.layers()];
        for (int i = 0; i < layers.length; i++) {
            String p = "model.layers." + i + ".";
            Attention attention = null;
            Mamba2Mixer mamba = null;
            if (c.attentionLayers()[i]) {
                int qDim = c.heads() * c.headDim();
                int kvDim = c.kvHeads() * c.headDim();
                Matrix q = w.matrix(p + "self_attn.q_proj", qDim, h);
                Matrix k = w.matrix(p + "self_attn.k_proj", kvDim, h);
                Matrix v = w.matrix(p + "self_attn.v_proj", kvDim, h);
                Matrix o = w.matrix(p + "self_attn.o_proj", h, qDim);
                matrices.addAll(List.of(q, k, v, o));
                // Granite's scores are scaled by attention_multiplier, which replaces 1/sqrt(head_dim).
                attention = new Attention(q, k, v, o, c.heads(), c.kvHeads(), c.headDim(), c.attentionMultiplier(), rope);
            } else {
                String m = p + "mamba.";
                int dInner = ms.dInner();
                int convDim = ms.convDim();
                int heads = ms.heads();
                Matrix in = w.matrix(m + "in_proj", ms.projRows(), h);
                Matrix out = w.matrix(m + "out_proj", h, dInner);
                matrices.addAll(List.of(in, out));
                float[] inBias = c.projBias() ? w.vector(m + "in_proj.bias", ms.projRows()) : null;
                float[] outBias = c.projBias() ? w.vector(m + "out_proj.bias", h) : null;
                float[] conv = w.tensor(m + "conv1d.weight", convDim, 1, ms.kernel()).toFloatArray();
                float[] convBias = c.convBias() ? w.vector(m + "conv1d.bias", convDim) : null;
                // A_log, D and dt_bias may be stored in F32 or BF16: vector() widens either exactly.
                float[] dtBias = w.vector(m + "dt_bias", heads);
                float[] aLog = w.vector(m + "A_log", heads);
                float[] d = w.vector(m + "D", heads);
                float[] norm = w.vector(m + "norm.weight", dInner);
                smallParams += conv.length + (convBias == null ? 0 : convDim) + 3L * heads + dInner
                        + (inBias == null ? 0 : ms.projRows() + h);
                mamba = new Mamba2Mixer(ms, in, inBias, conv, convBias, dtBias, aLog, d, c.dtMin(), c.dtMax(),
                        new GateThenNorm(norm, c.eps()), out, outBias);
            }
            Matrix gateUp = w.matrix(p + "shared_mlp.input_linear", 2 * c.sharedIntermediate(), h);
            Matrix down = w.matrix(p + "shared_mlp.output_linear", h, c.sharedIntermediate());
            matrices.addAll(List.of(gateUp, down));
            smallParams += 2L * h;
            layers[i] = new Layer(
                    new RmsNorm(w.vector(p + "input_layernorm.weight", h), c.eps(), false),
                    attention, mamba,
                    new RmsNorm(w.vector(p + "post_attention_layernorm.weight", h), c.eps(), false),
                    SwiGluMlp.fused(gateUp, down));
        }
        Matrix lm = ModelSupport.head(w, hf, c.tied(), embedding, c.vocab(), h);
        OutputHead head = new OutputHead(new RmsNorm(w.vector("model.norm.weight", h), c.eps(), false),
                lm, c.logitsScaling());
        int context = options.contextFor(c.maxPositions());
        // Small fp32 vectors: per-layer norms, convolutions and per-head constants, and the final norm.
        ModelInfo info = ModelInfo.of("granitemoehybrid", w.describe(), hf, c.layers(), context, embedding, lm, matrices,
                smallParams + h);
        return new GraniteHybrid(c, info, new Compute(options.threads()), embedding, layers, head, context);
    }

    public Config config() {
        return cfg;
    }

    @Override
    public ModelInfo info() {
        return info;
    }

    @Override
    public State newState() {
        return new State(this);
    }

    @Override
    public void forward(int[] tokens, int from, int n, ModelState state, Logits out) {
        State s = (State) state;
        int h = cfg.hidden();
        ModelSupport.checkChunk(tokens, from, n, s.position, cfg.vocab(), context);
        s.ensure(n);
        float embed = (float) cfg.embeddingMultiplier();
        float residual = (float) cfg.residualMultiplier();
        for (int t = 0; t < n; t++) {
            embedding.row(tokens[from + t], s.x, t * h);
        }
        Kernels.scale(s.x, 0, n * h, embed);
        for (int i = 0; i < layers.length; i++) {
            Layer layer = layers[i];
            layer.inputNorm().apply(s.x, s.a, n);
            if (layer.attention() != null) {
                layer.attention().forward(compute, s.a, n, h, s.position, s.caches[i], s.attention, s.branch);
            } else {
                layer.mamba().forward(compute, s.a, n, s.convs[i], s.ssms[i], s.mamba, s.branch, s.recurrentScan);
            }
            residual(s, n * h, residual);
            layer.postNorm().apply(s.x, s.a, n);
            layer.mlp().forward(compute, s.a, n, h, s.mlp, s.branch);
            residual(s, n * h, residual);
        }
        head.forward(compute, s.x, n, h, s.a, out);
        s.position += n;
    }

    /** {@code x += branch · residual_multiplier}: HF scales the branch, then adds it. */
    private static void residual(State s, int len, float multiplier) {
        if (multiplier != 1f) {
            Kernels.scale(s.branch, 0, len, multiplier);
        }
        Kernels.add(s.branch, 0, s.x, 0, len);
    }

    @Override
    public void close() {
        compute.close();
    }

    /**
     * Per layer: a KV cache (attention layers) or a conv window and an SSM state (Mamba layers); plus the session's
     * scratch, shared by the layers of each kind.
     */
    public static final class State extends ModelState {
        private final GraniteHybrid model;
        final KvCache[] caches;
        final ConvState[] convs;
        final SsmState[] ssms;
        final Attention.Scratch attention = new Attention.Scratch();
        final Mamba2Mixer.Scratch mamba = new Mamba2Mixer.Scratch();
        final SwiGluMlp.Scratch mlp = new SwiGluMlp.Scratch();
        float[] x = new float[0];
        float[] a = new float[0];
        float[] branch = new float[0];
        boolean recurrentScan;

        State(GraniteHybrid model) {
            this.model = model;
            int n = model.layers.length;
            caches = new KvCache[n];
            convs = new ConvState[n];
            ssms = new SsmState[n];
            for (int i = 0; i < n; i++) {
                Layer l = model.layers[i];
                if (l.attention() != null) {
                    caches[i] = l.attention().newCache(model.context);
                } else {
                    convs[i] = l.mamba().newConvState();
                    ssms[i] = l.mamba().newSsmState();
                }
            }
        }

        /**
         * Runs chunks of several tokens with the token-by-token recurrence instead of the chunked (SSD) scan. The
         * results agree to rounding; tests and benchmarks use this to compare the two forms.
         */
        public void setRecurrentScan(boolean recurrent) {
            this.recurrentScan = recurrent;
        }

        /** The SSM state of layer i (null for attention layers), for tests. */
        public SsmState ssm(int layer) {
            return ssms[layer];
        }

        /** The conv window of layer i (null for attention layers), for tests. */
        public ConvState conv(int layer) {
            return convs[layer];
        }

        void ensure(int n) {
            int need = n * model.cfg.hidden();
            if (x.length < need) {
                x = new float[need];
                a = new float[need];
                branch = new float[need];
            }
        }

        @Override
        public void reset() {
            for (int i = 0; i < caches.length; i++) {
                if (caches[i] != null) {
                    caches[i].clear();
                } else {
                    convs[i].clear();
                    ssms[i].clear();
                }
            }
            position = 0;
            epoch++;
        }

        @Override
        public State snapshot() {
            State copy = new State(model);
            copy.restore(this);
            return copy;
        }

        @Override
        public void restore(ModelState snapshot) {
            State o = (State) snapshot;
            if (o.model.cfg != model.cfg) {
                throw new IllegalArgumentException("snapshot taken from a different model");
            }
            for (int i = 0; i < caches.length; i++) {
                if (caches[i] != null) {
                    caches[i].copyFrom(o.caches[i]);
                } else {
                    convs[i].copyFrom(o.convs[i]);
                    ssms[i].copyFrom(o.ssms[i]);
                }
            }
            position = o.position;
            epoch++;
        }

        @Override
        protected float[][] recurrentArrays() {
            java.util.List<float[]> a = new java.util.ArrayList<>();
            for (int i = 0; i < caches.length; i++) {
                if (caches[i] == null) {
                    a.add(convs[i].window());
                    a.add(ssms[i].data());
                }
            }
            return a.toArray(float[][]::new);
        }

        @Override
        protected KvCache[] kvCaches() {
            return caches;
        }

        @Override
        public long stateBytes() {
            long b = 0;
            for (int i = 0; i < caches.length; i++) {
                b += caches[i] != null ? caches[i].bytes() : convs[i].bytes() + ssms[i].bytes();
            }
            return b;
        }
    }
}
