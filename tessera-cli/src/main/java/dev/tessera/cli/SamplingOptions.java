package dev.tessera.cli;

import dev.tessera.engine.Sampler;
import picocli.CommandLine.Option;

/** The sampling options of run, chat and serve; each command picks its own default temperature. */
final class SamplingOptions {
    @Option(names = "--temperature", paramLabel = "T",
            description = "Sampling temperature; 0 = greedy (default: 0 for run, 0.7 for chat, 1 for serve as in the OpenAI API).")
    Double temperature;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "0", description = "Keep the K most likely tokens (0 = all).")
    int topK;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "1.0", description = "Nucleus sampling mass (default: 1).")
    double topP;

    @Option(names = "--min-p", paramLabel = "P", defaultValue = "0", description = "Drop tokens below P × the top probability.")
    double minP;

    @Option(names = "--seed", paramLabel = "S",
            description = "Sampling seed (default: 0; for serve, the first seed of requests that give none, default random).")
    Long seed;

    long seed(long fallback) {
        return seed != null ? seed : fallback;
    }

    double temperature(double fallback) {
        return temperature != null ? temperature : fallback;
    }

    Sampler sampler(double defaultTemperature) {
        return new Sampler(temperature(defaultTemperature), topK, topP, minP, seed(0));
    }
}
