package dev.tessera.model;

import dev.tessera.TesseraException;
import dev.tessera.io.Bundle;
import dev.tessera.io.CheckpointWeights;
import dev.tessera.io.HfConfig;
import dev.tessera.io.WeightSource;
import dev.tessera.model.synthetic.Synthetic;
import java.nio.file.Files;
import java.nio.file.Path;

/** Loads a model from a Tessera bundle, a Hugging Face checkpoint folder or a {@code synthetic:<preset>} name. */
public final class Models {
    private Models() {}

    /** How an architecture is built from its config and weights. */
    @FunctionalInterface
    interface Loader {
        Model load(HfConfig config, WeightSource weights, LoadOptions options);
    }

    /** Architectures Tessera runs, by {@code model_type}: the one list the loader and its messages use. */
    private static final java.util.Map<String, Loader> ARCHITECTURES = java.util.Map.of(
            "llama", Llama::load,
            "granitemoehybrid", GraniteHybrid::load,
            "qwen3_5", Qwen35::load,
            "qwen3_5_text", Qwen35::load);

    public static final String SUPPORTED = String.join(", ", new java.util.TreeSet<>(ARCHITECTURES.keySet()));

    public static Model load(String spec, LoadOptions options) {
        if (spec.startsWith("synthetic:")) {
            return Synthetic.load(spec, options);
        }
        return load(Path.of(spec), options);
    }

    public static Model load(Path dir, LoadOptions options) {
        Path configFile = dir.resolve("config.json");
        if (!Files.isDirectory(dir)) {
            throw new TesseraException.InvalidInput("model not found: " + dir
                    + " (give a bundle folder, a checkpoint folder with config.json and *.safetensors, or synthetic:<preset>)");
        }
        if (Bundle.isBundle(dir)) {
            return loadBundle(Bundle.open(dir), options);
        }
        if (!Files.isRegularFile(configFile)) {
            throw new TesseraException.InvalidInput("no config.json in " + dir);
        }
        HfConfig config = HfConfig.read(configFile);
        String type = config.string("model_type");
        checkSupported(config, type);
        WeightSource weights = CheckpointWeights.open(dir);
        try {
            return build(config, weights, options);
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    /** A bundle: config from its metadata, weights memory-mapped from weights.safetensors. */
    public static Model loadBundle(Bundle bundle, LoadOptions options) {
        HfConfig config = bundle.config();
        checkSupported(config, config.string("model_type"));
        WeightSource weights = bundle.openWeights();
        try {
            return build(config, weights, options);
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    static Loader checkSupported(HfConfig config, String type) {
        Loader loader = ARCHITECTURES.get(type);
        if (loader == null) {
            throw new TesseraException.Unsupported("unsupported architecture: model_type '" + type + "' in "
                    + config.where() + " (Tessera runs " + SUPPORTED + ")");
        }
        return loader;
    }

    /** Builds the architecture named by the config over the given weights. The weights stay open with the model. */
    public static Model build(HfConfig config, WeightSource weights, LoadOptions options) {
        Loader loader = checkSupported(config, config.string("model_type"));
        return new OwningModel(loader.load(config, weights, options), weights);
    }

    /** Closes the weight files when the model is closed. */
    private record OwningModel(Model inner, WeightSource weights) implements Model {
        @Override
        public ModelInfo info() {
            return inner.info();
        }

        @Override
        public ModelState newState() {
            return inner.newState();
        }

        @Override
        public void forward(int[] tokens, int from, int count, ModelState state, Logits out) {
            inner.forward(tokens, from, count, state, out);
        }

        @Override
        public void close() {
            inner.close();
            weights.close();
        }
    }
}
