package dev.tessera.model;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.TesseraException;
import dev.tessera.io.HfConfig;
import dev.tessera.io.WeightSource;
import dev.tessera.model.layers.GatedAttention;
import dev.tessera.model.layers.GatedDeltaNet;
import dev.tessera.model.layers.OutputHead;
import dev.tessera.model.layers.RmsNorm;
import dev.tessera.model.layers.RopeConfig;
import dev.tessera.model.layers.SwiGluMlp;
import dev.tessera.model.state.ConvState;
import dev.tessera.model.state.KvCache;
import dev.tessera.model.state.RecurrentState;
import dev.tessera.tensor.Compute;
import dev.tessera.tensor.Kernels;
import dev.tessera.tensor.Matrix;
import dev.tessera.tensor.Rope;
import java.util.ArrayList;
import java.util.List;

/**
 * Qwen3.5 (the text model of {@code Qwen3_5ForConditionalGeneration}, or a text-only {@code Qwen3_5ForCausalLM}):
 * Gated DeltaNet linear-attention layers interleaved with gated full-attention layers (3:1 in the released sizes).
 * <pre>
 * h = E[token]
 * per layer:  h += mixer(a)    a = rmsnorm₁₊w(h); mixer = GatedDeltaNet on "linear_attention" layers,
 *                                                 GatedAttention (partial RoPE, q/k norm, output gate) on "full_attention"
 *             h += down · (silu(gate·m) ⊙ up·m)      m = rmsnorm₁₊w(h)
 * logits = W_lm · rmsnorm₁₊w(h)                   W_lm = E when tied
 * </pre>
 * Every decoder norm scales by {@code (1 + w)}; only the DeltaNet output norm scales by {@code w}.
 */
public final class Qwen35 implements Model {
    static final String VLM_PREFIX = "model.language_model.";
    static final String TEXT_PREFIX = "model.";

    /**
     * The text config (ARCHITECTURES.md §3.1). {@code full[i]} is true for full-attention layers.
     *
     * @param rotaryDim R = int(headDim · partial_rotary_factor): the rotated leading dims of each head
     */
    public record Config(int vocab, int hidden, int intermediate, int layers, boolean[] full,
                         int heads, int kvHeads, int headDim, int rotaryDim, RopeConfig rope,
                         int linearKeyHeads, int linearValueHeads, int linearKeyDim, int linearValueDim, int convKernel,
                         double eps, int maxPositions, boolean tied, HfConfig text) {

        /** Reads the VLM wrapper ({@code qwen3_5} with {@code text_config}) or a text-only ({@code qwen3_5_text}) config. */
        public static Config from(HfConfig top) {
            String type = top.string("model_type");
            HfConfig text = top;
            boolean tied;
            if (type.equals("qwen3_5")) {
                text = top.section("text_config");
                if (text == null) {
                    throw top.bad("text_config", "is required for model_type 'qwen3_5' (the vision-language wrapper "
                            + "keeps the language model's settings there); a text-only save uses model_type 'qwen3_5_text'");
                }
                // The wrapper's head tie is the top-level flag; fall back to text_config's if only that one is given.
                tied = top.has("tie_word_embeddings") ? top.bool("tie_word_embeddings", false)
                        : text.bool("tie_word_embeddings", false);
                if (top.has("tie_word_embeddings") && text.has("tie_word_embeddings")
                        && top.bool("tie_word_embeddings", false) != text.bool("tie_word_embeddings", false)) {
                    System.err.println("tessera: note: " + top.where() + " has tie_word_embeddings "
                            + top.bool("tie_word_embeddings", false) + " at the top level but "
                            + text.bool("tie_word_embeddings", false) + " in text_config; using the top level, as transformers does");
                }
            } else if (type.equals("qwen3_5_text")) {
                tied = top.bool("tie_word_embeddings", false);
            } else {
                throw top.bad("model_type", "is '" + type + "', expected 'qwen3_5' or 'qwen3_5_text'");
            }
            ModelSupport.requireSilu(text);
            if (text.bool("attention_bias", false)) {
                throw new TesseraException.Unsupported(text.where() + ": attention_bias true is not supported");
            }
            // Defaults are transformers' Qwen3_5TextConfig defaults, used only when a key is absent.
            int hidden = text.integer("hidden_size", 4096);
            int layers = text.integer("num_hidden_layers", 32);
            int heads = text.integer("num_attention_heads", 16);
            int kvHeads = text.integer("num_key_value_heads", 4);
            if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0) {
                throw text.bad("num_key_value_heads", "(" + kvHeads + ") must divide num_attention_heads (" + heads + ")");
            }
            int headDim = text.integer("head_dim", 256);
            int nk = text.integer("linear_num_key_heads", 16);
            int nv = text.integer("linear_num_value_heads", 32);
            if (nk <= 0 || nv <= 0 || nv % nk != 0) {
                throw text.bad("linear_num_value_heads", "(" + nv + ") must be a multiple of linear_num_key_heads (" + nk + ")");
            }
            int dk = text.integer("linear_key_head_dim", 128);
            int dv = text.integer("linear_value_head_dim", 128);
            int kernel = text.integer("linear_conv_kernel_dim", 4);
            if (headDim <= 0 || dk <= 0 || dv <= 0 || kernel <= 0) {
                throw text.bad("head_dim", "and linear_*_head_dim / linear_conv_kernel_dim must be positive");
            }
            RopeConfig rope = RopeConfig.read(withPlainMrope(text), 10000.0, 0.25);
            int rotary = (int) (headDim * rope.partialRotaryFactor());
            if (rotary <= 0 || rotary % 2 != 0 || rotary > headDim) {
                throw text.bad("partial_rotary_factor", "gives a rotary width of " + rotary + " for head_dim " + headDim
                        + "; it must be even and in [2, head_dim]");
            }
            checkMropeSection(text, rotary);
            boolean[] full = layerKinds(text, layers);
            return new Config(text.integer("vocab_size", 248320), hidden, text.integer("intermediate_size", 12288), layers,
                    full, heads, kvHeads, headDim, rotary, rope, nk, nv, dk, dv, kernel, text.number("rms_norm_eps", 1e-6),
                    text.integer("max_position_embeddings", 32768), tied, text);
        }

        /**
         * Older Qwen-VL exports label the multimodal RoPE {@code "type": "mrope"}; for text positions it is the default
         * RoPE (all three position planes equal p), so it is read as such. Any other non-default type is still rejected.
         */
        static HfConfig withPlainMrope(HfConfig text) {
            ObjectNode copy = null;
            for (String key : new String[] {"rope_parameters", "rope_scaling"}) {
                HfConfig sec = text.section(key);
                if (sec == null) {
                    continue;
                }
                String type = sec.string("rope_type", sec.string("type", "default"));
                if (type.equals("mrope")) {
                    copy = copy == null ? text.copy() : copy;
                    ObjectNode s = (ObjectNode) copy.get(key);
                    s.remove("type");
                    s.put("rope_type", "default");
                }
            }
            return copy == null ? text : new HfConfig(copy, text.where());
        }

        /** {@code layer_types}, or else every {@code full_attention_interval}-th layer is full attention. */
        static boolean[] layerKinds(HfConfig text, int layers) {
            boolean[] full = new boolean[layers];
            if (text.has("layer_types")) {
                List<String> types = text.strings("layer_types");
                if (types.size() != layers) {
                    throw text.bad("layer_types", "has " + types.size() + " entries but num_hidden_layers is " + layers);
                }
                for (int i = 0; i < layers; i++) {
                    switch (types.get(i)) {
                        case "full_attention" -> full[i] = true;
                        case "linear_attention" -> full[i] = false;
                        default -> throw text.bad("layer_types", "entry " + i + " is '" + types.get(i)
                                + "'; expected 'linear_attention' or 'full_attention'");
                    }
                }
            } else {
                int interval = text.integer("full_attention_interval", 4);
                if (interval <= 0) {
                    throw text.bad("full_attention_interval", "must be positive, got " + interval);
                }
                for (int i = 0; i < layers; i++) {
                    full[i] = (i + 1) % interval == 0;
                }
            }
            return full;
        }

        /** mRoPE's frequency split only matters for image positions; text reduces to plain RoPE. Warn, never fail. */
        static void checkMropeSection(HfConfig text, int rotary) {
            for (String key : new String[] {"rope_parameters", "rope_scaling"}) {
                HfConfig sec = text.section(key);
                if (sec == null || !sec.has("mrope_section")) {
                    continue;
                }
                int sum = 0;
                for (var e : sec.json().get("mrope_section")) {
                    sum += e.asInt();
                }
                if (sum != rotary / 2) {
                    System.err.println("tessera: note: " + sec.where() + ": mrope_section sums to " + sum
                            + ", not rotary_dim/2 = " + (rotary / 2) + " (only image positions would be affected)");
                }
            }
        }

        public int linearLayers() {
            int n = 0;
            for (boolean f : full) {
                n += f ? 0 : 1;
            }
            return n;
        }
    }

    /** One decoder layer: exactly one of {@code linear} / {@code attention} is set; slot indexes its kind's state. */
    private record Layer(RmsNorm inputNorm, GatedDeltaNet linear, GatedAttention attention, int slot,
                         RmsNorm postNorm, SwiGluMlp mlp) {}

    private final Config cfg;
    private final ModelInfo info;
    private final Compute compute;
    private final Matrix embedding;
    private final Layer[] layers;
    private final OutputHead head;
    private final int context;
    private final int linearCount;
    private final int fullCount;

    private Qwen35(Config cfg, ModelInfo info, Compute compute, Matrix embedding, Layer[] layers, OutputHead head,
                   int context) {
        this.cfg = cfg;
        this.info = info;
        this.compute = compute;
        this.embedding = embedding;
        this.layers = layers;
        this.head = head;
        this.context = context;
        this.linearCount = cfg.linearLayers();
        this.fullCount = cfg.layers() - linearCount;
    }

    /**
     * The prefix of the text weights: {@code model.language_model.} in the VLM checkpoints, {@code model.} in a
     * text-only save.
     */
    static String prefix(WeightSource w) {
        if (w.has(VLM_PREFIX + "embed_tokens.weight")) {
            return VLM_PREFIX;
        }
        if (w.has(TEXT_PREFIX + "embed_tokens.weight")) {
            return TEXT_PREFIX;
        }
        throw new TesseraException.InvalidInput("no embedding in " + w.describe() + ": expected '" + VLM_PREFIX
                + "embed_tokens.weight' (vision-language checkpoint) or '" + TEXT_PREFIX + "embed_tokens.weight' (text-only)");
    }

    /** Logs (once) the vision-tower and multi-token-prediction tensors a text model does not use. */
    static void noteSkipped(WeightSource w) {
        int visual = 0;
        int mtp = 0;
        for (String name : w.names()) {
            if (name.startsWith("model.visual.")) {
                visual++;
            } else if (name.startsWith("mtp.")) {
                mtp++;
            }
        }
        if (visual + mtp > 0) {
            System.err.println("tessera: qwen3_5: text model only; ignoring " + visual + " vision-tower tensors (model.visual.*) and "
                    + mtp + " multi-token-prediction tensors (mtp.*) in " + w.describe());
        }
    }

    public static Qwen35 load(HfConfig hf, WeightSource w, LoadOptions options) {
        Config c = Config.from(hf);
        String pre = prefix(w);
        noteSkipped(w);
        int h = c.hidden();
        int qDim = c.heads() * c.headDim();
        int kvDim = c.kvHeads() * c.headDim();
        int keyDim = c.linearKeyHeads() * c.linearKeyDim();
        int valueDim = c.linearValueHeads() * c.linearValueDim();
        int convDim = 2 * keyDim + valueDim;
        Rope rope = new Rope(c.rotaryDim(), c.rope().theta());
        List<Matrix> matrices = new ArrayList<>();
        long smallFloats = 0;
        Matrix embedding = w.matrix(pre + "embed_tokens", c.vocab(), h);
        Layer[] layers = new Layer[c.layers()];
        int linearSlot = 0;
        int fullSlot = 0;
        for (int i = 0; i < layers.length; i++) {
            String p = pre + "layers." + i + ".";
            GatedDeltaNet linear = null;
            GatedAttention attention = null;
            int slot;
            if (c.full()[i]) {
                String a = p + "self_attn.";
                if (!w.has(a + "q_proj.weight") && w.has(p + "linear_attn.in_proj_qkv.weight")) {
                    throw new TesseraException.InvalidInput("layer " + i + " is full_attention in " + c.text().where()
                            + " but " + w.describe() + " stores linear-attention weights for it: check layer_types");
                }
                requireNoBias(w, a + "q_proj", a + "k_proj", a + "v_proj", a + "o_proj");
                Matrix q = w.matrix(a + "q_proj", 2 * qDim, h);  // per head [query | output gate]
                Matrix k = w.matrix(a + "k_proj", kvDim, h);
                Matrix v = w.matrix(a + "v_proj", kvDim, h);
                Matrix o = w.matrix(a + "o_proj", h, qDim);
                matrices.addAll(List.of(q, k, v, o));
                attention = new GatedAttention(q, k, v, o,
                        new RmsNorm(w.vector(a + "q_norm.weight", c.headDim()), c.eps(), true),
                        new RmsNorm(w.vector(a + "k_norm.weight", c.headDim()), c.eps(), true),
                        c.heads(), c.kvHeads(), c.headDim(), rope);
                smallFloats += 2L * c.headDim();
                slot = fullSlot++;
            } else {
                String a = p + "linear_attn.";
                if (!w.has(a + "in_proj_qkv.weight") && w.has(p + "self_attn.q_proj.weight")) {
                    throw new TesseraException.InvalidInput("layer " + i + " is linear_attention in " + c.text().where()
                            + " but " + w.describe() + " stores full-attention weights for it: check layer_types");
                }
                if (w.has(a + "conv1d.bias")) {
                    throw new TesseraException.Unsupported("tensor '" + a + "conv1d.bias' in " + w.describe()
                            + ": Qwen3.5's DeltaNet conv has no bias; this checkpoint is a different variant");
                }
                requireNoBias(w, a + "in_proj_qkv", a + "in_proj_z", a + "in_proj_b", a + "in_proj_a", a + "out_proj");
                Matrix qkv = w.matrix(a + "in_proj_qkv", convDim, h);
                Matrix z = w.matrix(a + "in_proj_z", valueDim, h);
                Matrix b = w.matrix(a + "in_proj_b", c.linearValueHeads(), h);
                Matrix ar = w.matrix(a + "in_proj_a", c.linearValueHeads(), h);
                Matrix out = w.matrix(a + "out_proj", h, valueDim);
                matrices.addAll(List.of(qkv, z, b, ar, out));
                float[] conv = w.tensor(a + "conv1d.weight", convDim, 1, c.convKernel()).toFloatArray();
                linear = new GatedDeltaNet(qkv, z, b, ar, out, conv, c.convKernel(),
                        w.tensor(a + "dt_bias", c.linearValueHeads()).toFloatArray(),
                        w.tensor(a + "A_log", c.linearValueHeads()).toFloatArray(),
                        w.tensor(a + "norm.weight", c.linearValueDim()).toFloatArray(),
                        c.eps(), c.linearKeyHeads(), c.linearValueHeads(), c.linearKeyDim(), c.linearValueDim());
                smallFloats += (long) convDim * c.convKernel() + 2L * c.linearValueHeads() + c.linearValueDim();
                slot = linearSlot++;
            }
            Matrix gate = w.matrix(p + "mlp.gate_proj", c.intermediate(), h);
            Matrix up = w.matrix(p + "mlp.up_proj", c.intermediate(), h);
            Matrix down = w.matrix(p + "mlp.down_proj", h, c.intermediate());
            matrices.addAll(List.of(gate, up, down));
            layers[i] = new Layer(
                    new RmsNorm(w.vector(p + "input_layernorm.weight", h), c.eps(), true),
                    linear, attention, slot,
                    new RmsNorm(w.vector(p + "post_attention_layernorm.weight", h), c.eps(), true),
                    SwiGluMlp.separate(gate, up, down));
            smallFloats += 2L * h;
        }
        Matrix lm = ModelSupport.head(w, c.text(), c.tied(), embedding, c.vocab(), h);
        OutputHead head = new OutputHead(new RmsNorm(w.vector(pre + "norm.weight", h), c.eps(), true), lm, 1.0);
        smallFloats += h;
        int context = options.contextFor(c.maxPositions());
        ModelInfo info = ModelInfo.of("qwen3_5", w.describe(), c.text(), c.layers(), context, embedding, lm, matrices,
                smallFloats);
        return new Qwen35(c, info, new Compute(options.threads()), embedding, layers, head, context);
    }

    private static void requireNoBias(WeightSource w, String... modules) {
        for (String m : modules) {
            if (w.has(m + ".bias")) {
                throw new TesseraException.Unsupported("tensor '" + m + ".bias' in " + w.describe()
                        + ": Qwen3.5 projections have no bias (attention_bias true is not supported)");
            }
        }
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
        for (Layer layer : layers) {
            layer.inputNorm().apply(s.x, s.a, n);
            if (layer.linear() != null) {
                layer.linear().forward(compute, s.a, n, h, s.convs[layer.slot()], s.recurrent[layer.slot()],
                        s.deltaNet, s.form, s.branch);
            } else {
                layer.attention().forward(compute, s.a, n, h, s.position, s.caches[layer.slot()], s.attention, s.branch);
            }
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

    /**
     * Per sequence: a KV cache per full-attention layer, a conv window and an fp32 recurrent state per DeltaNet
     * layer (each kind indexed by its own counter), plus the session's scratch.
     */
    public static final class State extends ModelState {
        private final Qwen35 model;
        final KvCache[] caches;
        final ConvState[] convs;
        final RecurrentState[] recurrent;
        final GatedAttention.Scratch attention = new GatedAttention.Scratch();
        final GatedDeltaNet.Scratch deltaNet = new GatedDeltaNet.Scratch();
        final SwiGluMlp.Scratch mlp = new SwiGluMlp.Scratch();
        GatedDeltaNet.Form form = GatedDeltaNet.Form.AUTO;
        float[] x = new float[0];
        float[] a = new float[0];
        float[] branch = new float[0];

        State(Qwen35 model) {
            this.model = model;
            this.caches = new KvCache[model.fullCount];
            this.convs = new ConvState[model.linearCount];
            this.recurrent = new RecurrentState[model.linearCount];
            for (Layer l : model.layers) {
                if (l.linear() != null) {
                    convs[l.slot()] = l.linear().newConvState();
                    recurrent[l.slot()] = l.linear().newRecurrentState();
                } else {
                    caches[l.slot()] = l.attention().newCache(model.context);
                }
            }
        }

        /**
         * Forces one form of the DeltaNet recurrence (tests and benchmarks compare them); AUTO, the default, steps
         * single tokens and uses the chunked form for longer chunks.
         */
        public void deltaForm(GatedDeltaNet.Form form) {
            this.form = form;
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
            for (ConvState c : convs) {
                c.clear();
            }
            for (RecurrentState r : recurrent) {
                r.clear();
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
                throw new IllegalArgumentException("snapshot of a different model");
            }
            for (int i = 0; i < caches.length; i++) {
                caches[i].copyFrom(o.caches[i]);
            }
            for (int i = 0; i < convs.length; i++) {
                convs[i].copyFrom(o.convs[i]);
                recurrent[i].copyFrom(o.recurrent[i]);
            }
            position = o.position;
            epoch++;
        }

        @Override
        protected float[][] recurrentArrays() {
            float[][] a = new float[2 * convs.length][];
            for (int i = 0; i < convs.length; i++) {
                a[2 * i] = convs[i].window();
                a[2 * i + 1] = recurrent[i].data();
            }
            return a;
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
            for (int i = 0; i < convs.length; i++) {
                b += convs[i].bytes() + recurrent[i].bytes();
            }
            return b;
        }
    }
}
