package dev.tessera.model.layers;

import dev.tessera.TesseraException;
import dev.tessera.io.HfConfig;

/**
 * RoPE settings from a config: transformers v5 {@code rope_parameters}, then v4 {@code rope_scaling}, then top-level
 * keys. Only the default (unscaled) RoPE is needed by the supported checkpoints; anything else is rejected.
 */
public record RopeConfig(double theta, double partialRotaryFactor) {
    public static RopeConfig read(HfConfig cfg, double defaultTheta, double defaultPartial) {
        HfConfig params = cfg.section("rope_parameters");
        HfConfig scaling = cfg.section("rope_scaling");
        for (HfConfig sec : new HfConfig[] {params, scaling}) {
            if (sec == null) {
                continue;
            }
            String type = sec.string("rope_type", sec.string("type", "default"));
            if (!type.equals("default")) {
                throw new TesseraException.Unsupported(sec.where() + ": RoPE type '" + type
                        + "' is not supported (Tessera implements the default rotate-half RoPE)");
            }
        }
        double theta = cfg.number("rope_theta", defaultTheta);
        double partial = cfg.number("partial_rotary_factor", defaultPartial);
        for (HfConfig sec : new HfConfig[] {scaling, params}) {
            if (sec != null) {
                theta = sec.number("rope_theta", theta);
                partial = sec.number("partial_rotary_factor", partial);
            }
        }
        if (!(theta > 0)) {
            throw cfg.bad("rope_theta", "must be positive, got " + theta);
        }
        if (!(partial > 0 && partial <= 1)) {
            throw cfg.bad("partial_rotary_factor", "must be in (0, 1], got " + partial);
        }
        return new RopeConfig(theta, partial);
    }
}
