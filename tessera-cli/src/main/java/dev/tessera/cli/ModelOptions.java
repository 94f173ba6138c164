package dev.tessera.cli;

import dev.tessera.engine.Session;
import dev.tessera.model.LoadOptions;
import dev.tessera.model.Model;
import dev.tessera.model.Models;
import picocli.CommandLine.Option;

/** The options every command that loads a model shares. */
final class ModelOptions {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "M",
            description = "A bundle (tessera convert), a Hugging Face checkpoint folder (config.json + *.safetensors), or synthetic:<preset>[@<weights>] "
                    + "(see `tessera models`).")
    String model;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", defaultValue = "0",
            description = "Worker threads (default: all cores).")
    int threads;

    @Option(names = "--context", paramLabel = "N", defaultValue = "0",
            description = "Cap on the sequence length (default: the model's max_position_embeddings).")
    int context;

    @Option(names = "--chunk-size", paramLabel = "N", defaultValue = "" + Session.DEFAULT_CHUNK,
            description = "Prompt tokens per prefill chunk (default: ${DEFAULT-VALUE}).")
    int chunkSize;

    Model load() {
        long t0 = System.nanoTime();
        Model m = Models.load(model, LoadOptions.defaults().withThreads(threads).withMaxContext(context));
        Log.info("loaded %s (%s, %d layers, vocab %d) in %.2f s", model, m.info().architecture(),
                m.info().numLayers(), m.info().vocabSize(), (System.nanoTime() - t0) / 1e9);
        return m;
    }
}
