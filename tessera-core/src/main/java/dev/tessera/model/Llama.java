package dev.tessera.model;

import dev.tessera.TesseraException;
import dev.tessera.io.HfConfig;
import dev.tessera.io.WeightSource;
import dev.tessera.model.layers.Attention;
import dev.tessera.model.layers.OutputHead;
import dev.tessera.model.layers.RmsNorm;
import dev.tessera.model.layers.RopeConfig;
import dev.tessera.model.layers.SwiGluMlp;
import dev.tessera.model.state.KvCache;
import dev.tessera.tensor.Compute;
import dev.tessera.tensor.Kernels;
import dev.tessera.tensor.Matrix;
import dev.tessera.tensor.Rope;
import java.util.ArrayList;
import java.util.List;

/**
 * Llama dense decoder (Nanbeige4.1-3B and other {@code LlamaForCausalLM} checkpoints):
 * <pre>
 * h = E[token]
 * per layer:  h += Wo · attention(rope(Wq·a), rope(Wk·a), Wv·a)   with a = rmsnorm(h)
 *             h += down · (silu(gate·m) ⊙ up·m)                    with m = rmsnorm(h)
 * logits = W_lm · rmsnorm(h)
 * </pre>
 */
public final class Llama implements Model {

    /** The config keys this architecture reads (ARCHITECTURES.md §1.1). */
    public record Config(int vocab, int hidden, int intermediate, int layers, int heads, int kvHeads, int headDim,
                         double eps, RopeConfig rope, int maxPositions, boolean tied) {
        public static Config from(HfConfig c) {
            ModelSupport.requireSilu(c);
            if (c.bool("attention_bias", false) || c.bool("mlp_bias", false)) {
                throw new TesseraException.Unsupported(c.where() + ": attention_bias/mlp_bias true is not supported");
            }
            int hidden = c.integer("hidden_size");
            int heads = c.integer("num_attention_heads");
            int kvHeads = c.integer("num_key_value_heads", heads);
            if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0) {
                throw c.bad("num_key_value_heads", "(" + kvHeads + ") must divide num_attention_heads (" + heads + ")");
            }
            int headDim = c.integer("head_dim", hidden / heads);
            RopeConfig rope = RopeConfig.read(c, 10000.0, 1.0);
            return new Config(c.integer("vocab_size"), hidden, c.integer("intermediate_size"),
                    c.integer("num_hidden_layers"), heads, kvHeads, headDim, c.number("rms_norm_eps", 1e-6), rope,
                    c.integer("max_position_embeddings", 2048), c.bool("tie_word_embeddings", false));
        }
    }

    private record Layer(RmsNorm inputNorm, Attention attention, RmsNorm postNorm, SwiGluMlp mlp) {}

    private final Config cfg;
    private final ModelInfo info;
    private final Compute compute;
    private final Matrix embedding;
    private final Layer[] layers;
    private final OutputHead head;
    private final int context;

    private Llama(Config cfg, ModelInfo info, Compute compute, Matrix embedding, Layer[] layers, OutputHead head, int context) {
        this.cfg = cfg;
        this.info = info;
        this.compute = compute;
        this.embedding = embedding;
        this.layers = layers;
        this.head = head;
        this.context = context;
    }

    public static Llama load(HfConfig hf, WeightSource w, LoadOptions options) {
        Config c = Config.from(hf);
        int h = c.hidden();
        int qDim = c.heads() * c.headDim();
        int kvDim = c.kvHeads() * c.headDim();
        Matrix embedding = w.matrix("model.embed_tokens", c.vocab(), h);
        Rope rope = new Rope((int) (c.headDim() * c.rope().partialRotaryFactor()), c.rope().theta());
        double scale = 1.0 / Math.sqrt(c.headDim());
        Layer[] layers = new Layer[c.layers()];
        List<Matrix> matrices = new ArrayList<>();
        for (int i = 0; i < layers.length; i++) {
            String p = "model.layers." + i + ".";
            Matrix q = w.matrix(p + "self_attn.q_proj", qDim, h);
            Matrix k = w.matrix(p + "self_attn.k_proj", kvDim, h);
            Matrix v = w.matrix(p + "self_attn.v_proj", kvDim, h);
            Matrix o = w.matrix(p + "self_attn.o_proj", h, qDim);
            Matrix gate = w.matrix(p + "mlp.gate_proj", c.intermediate(), h);
            Matrix up = w.matrix(p + "mlp.up_proj", c.intermediate(), h);
            Matrix down = w.matrix(p + "mlp.down_proj", h, c.intermediate());
            layers[i] = new Layer(
                    new RmsNorm(w.vector(p + "input_layernorm.weight", h), c.eps(), false),
                    new Attention(q, k, v, o, c.heads(), c.kvHeads(), c.headDim(), scale, rope),
                    new RmsNorm(w.vector(p + "post_attention_layernorm.weight", h), c.eps(), false),
                    SwiGluMlp.separate(gate, up, down));
            matrices.addAll(List.of(q, k, v, o, gate, up, down));
        }
        Matrix lm = ModelSupport.head(w, hf, c.tied(), embedding, c.vocab(), h);
        OutputHead head = new OutputHead(new RmsNorm(w.vector("model.norm.weight", h), c.eps(), false), lm, 1.0);
        int context = options.contextFor(c.maxPositions());
        // Small fp32 vectors: two norms per layer and the final norm.
        ModelInfo info = ModelInfo.of("llama", w.describe(), hf, c.layers(), context, embedding, lm, matrices,
                (2L * c.layers() + 1) * h);
        return new Llama(c, info, new Compute(options.threads()), embedding, layers, head, context);
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
        for (int t = 0; t < n; t++) {
            embedding.row(tokens[from + t], s.x, t * h);
        }
        for (int i = 0; i < layers.length; i++) {
            Layer layer = layers[i];
            layer.inputNorm().apply(s.x, s.a, n);
            layer.attention().forward(compute, s.a, n, h, s.position, s.caches[i], s.attention, s.branch);
            Kernels.add(s.branch, 0, s.x, 0, n * h);
            layer.postNorm().apply(s.x, s.a, n);
            layer.mlp().forward(compute, s.a, n, h, s.mlp, s.branch);
            Kernels.add(s.branch, 0, s.x, 0, n * h);
        }
        head.forward(compute, s.x, n, h, s.a, out);
        s.position += n;
    }

    @Override
    public void close() {
        compute.close();
    }

    /** KV caches of every layer plus the session's scratch. */
    public static final class State extends ModelState {
        private final Llama model;
        final KvCache[] caches;
        final Attention.Scratch attention = new Attention.Scratch();
        final SwiGluMlp.Scratch mlp = new SwiGluMlp.Scratch();
        float[] x = new float[0];
        float[] a = new float[0];
        float[] branch = new float[0];

        State(Llama model) {
            this.model = model;
            this.caches = new KvCache[model.layers.length];
            for (int i = 0; i < caches.length; i++) {
                caches[i] = model.layers[i].attention().newCache(model.context);
            }
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
            for (KvCache c : caches) {
                c.clear();
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
            for (int i = 0; i < caches.length; i++) {
                caches[i].copyFrom(o.caches[i]);
            }
            position = o.position;
            epoch++;
        }

        @Override
        protected float[][] recurrentArrays() {
            return new float[0][];
        }

        @Override
        protected KvCache[] kvCaches() {
            return caches;
        }

        @Override
        public long stateBytes() {
            long b = 0;
            for (KvCache c : caches) {
                b += c.bytes();
            }
            return b;
        }
    }
}
