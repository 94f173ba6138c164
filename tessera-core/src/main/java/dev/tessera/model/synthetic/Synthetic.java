package dev.tessera.model.synthetic;

import dev.tessera.TesseraException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.io.HfConfig;
import dev.tessera.io.QuantScheme;
import dev.tessera.model.LoadOptions;
import dev.tessera.model.Model;
import dev.tessera.model.Models;
import dev.tessera.tensor.DType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code synthetic:<preset>[@<weights>]}: a random-weight model at a real (or tiny) shape, generated in memory in
 * seconds, so that benchmarks, demos and tests run without downloading anything. The weights are deterministic
 * (fixed seed per name), so two runs — or a model and its converted bundle — see the same model.
 */
public final class Synthetic {
    private Synthetic() {}

    public static final String PREFIX = "synthetic:";
    /** Seed of every synthetic model's weights. */
    public static final long SEED = 0x7E55E4AL;

    private static final Map<String, Preset> PRESETS = new LinkedHashMap<>();

    static {
        List<Preset> all = new ArrayList<>();
        all.addAll(LlamaPresets.all());
        all.addAll(GranitePresets.all());
        all.addAll(QwenPresets.all());
        for (Preset p : all) {
            PRESETS.put(p.name(), p);
        }
    }

    public static Map<String, Preset> presets() {
        return java.util.Collections.unmodifiableMap(PRESETS);
    }

    /** A parsed {@code synthetic:} name. */
    public record Spec(Preset preset, String weights) {
        public String name() {
            return PREFIX + preset.name() + (weights.equals("bf16") ? "" : "@" + weights);
        }
    }

    public static boolean isSynthetic(String spec) {
        return spec.startsWith(PREFIX);
    }

    public static Spec parse(String spec) {
        if (!isSynthetic(spec)) {
            throw new IllegalArgumentException(spec);
        }
        String rest = spec.substring(PREFIX.length());
        String weights = "bf16";
        int at = rest.indexOf('@');
        if (at >= 0) {
            weights = rest.substring(at + 1).toLowerCase(java.util.Locale.ROOT);
            rest = rest.substring(0, at);
        }
        Preset p = PRESETS.get(rest);
        if (p == null) {
            throw new TesseraException.InvalidInput("unknown synthetic preset '" + rest + "'; available: "
                    + String.join(", ", PRESETS.keySet()));
        }
        return new Spec(p, weights);
    }

    public static Model load(String spec, LoadOptions options) {
        return load(spec, options, true);
    }

    /**
     * Builds the model of a {@code synthetic:} spec. {@code @bf16}, {@code @fp16}, {@code @f32} choose the stored
     * float type; a quantization scheme ({@code @int8lin}, {@code @int8hu}, {@code @int4lin}, {@code @int4hu})
     * quantizes the matrices as they are generated, exactly as {@code tessera convert} would. With
     * {@code fill = false} the weights are allocated but not generated (sizes and shapes only, e.g. for inspect).
     */
    public static Model load(String spec, LoadOptions options, boolean fill) {
        Opened o = open(spec, fill);
        return Models.build(o.config(), o.weights(), options);
    }

    /** The config a spec's model is built from and its (not yet generated) weights. */
    public record Opened(HfConfig config, SyntheticWeights weights, QuantScheme scheme) {}

    public static Opened open(String spec, boolean fill) {
        Spec s = parse(spec);
        QuantScheme scheme = null;
        DType dtype = switch (s.weights()) {
            case "bf16" -> DType.BF16;
            case "fp16", "f16" -> DType.F16;
            case "f32", "fp32" -> DType.F32;
            default -> {
                try {
                    scheme = QuantScheme.parse(s.weights());
                } catch (TesseraException e) {
                    throw new TesseraException.InvalidInput("unknown weight format '@" + s.weights() + "' in " + spec
                            + " (available: bf16, fp16, f32, int8lin, int8hu, int4lin, int4hu)");
                }
                yield DType.BF16;
            }
        };
        SyntheticWeights weights = new SyntheticWeights(s.preset(), SEED, dtype, scheme, fill);
        ObjectNode config = s.preset().config();
        if (scheme != null && scheme.headBits() > 0 && s.preset().absent().test("lm_head.weight")) {
            config = QuantScheme.untiedConfig(config);
        }
        return new Opened(new HfConfig(config, spec + " config"), weights, scheme);
    }
}
