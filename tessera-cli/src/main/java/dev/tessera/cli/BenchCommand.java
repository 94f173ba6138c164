package dev.tessera.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.bench.BandwidthProbe;
import dev.tessera.bench.Benchmark;
import dev.tessera.io.Json;
import dev.tessera.model.LoadOptions;
import dev.tessera.model.Model;
import dev.tessera.model.Models;
import dev.tessera.tensor.Kernels;
import dev.tessera.tensor.WorkerPool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tessera bench}: prefill and decode tokens/s, and the share of the memory-bandwidth ceiling decode reaches. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measures prompt (prefill) and generation (decode) speed, llm-benchmark style.",
                "Decode is memory-bound: the report compares it with this machine's measured read bandwidth."})
final class BenchCommand implements Callable<Integer> {
    static final String DEFAULT_MODEL = "synthetic:qwen3.5-0.8b@int8hu";

    @Option(names = {"-m", "--model"}, paramLabel = "M", defaultValue = DEFAULT_MODEL,
            description = "Checkpoint folder, bundle or synthetic:<preset>[@<weights>] (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "-p", paramLabel = "N", defaultValue = "128", description = "Prompt tokens (default: ${DEFAULT-VALUE}).")
    int promptTokens;

    @Option(names = "-g", paramLabel = "N", defaultValue = "256", description = "Generated tokens (default: ${DEFAULT-VALUE}).")
    int genTokens;

    @Option(names = "-n", paramLabel = "N", defaultValue = "3", description = "Timed trials after one warm-up (default: ${DEFAULT-VALUE}).")
    int trials;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed of the random prompt (default: 0).")
    long seed;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", defaultValue = "0", description = "Threads (default: all cores).")
    int threads;

    @Option(names = "--chunk-size", paramLabel = "N", defaultValue = "128", description = "Prefill chunk (default: ${DEFAULT-VALUE}).")
    int chunkSize;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write every number as JSON.")
    Path json;

    @Option(names = "--reprobe", description = "Measure memory bandwidth again instead of using the cached value.")
    boolean reprobe;

    @Override
    public Integer call() throws Exception {
        int t = threads <= 0 ? WorkerPool.defaultThreads() : threads;
        Benchmark.Settings settings = new Benchmark.Settings(promptTokens, genTokens, trials, seed, chunkSize);
        if (!BandwidthProbe.isQuiet()) {
            Log.info("warning: other processes are using the CPUs: speeds and the bandwidth ceiling measured now are "
                    + "unreliable, and the bandwidth probe will not be cached");
        }
        long l0 = System.nanoTime();
        try (Model m = Models.load(model, LoadOptions.defaults().withThreads(t))) {
            double loadSeconds = (System.nanoTime() - l0) / 1e9;
            var info = m.info();
            System.out.printf(Locale.ROOT, "model      %s (%s, %d layers, vocab %d, %.2f B parameters)%n", model,
                    info.architecture(), info.numLayers(), info.vocabSize(), info.parameterCount() / 1e9);
            System.out.printf(Locale.ROOT, "setup      p=%d g=%d n=%d seed=%d threads=%d chunk=%d, %s; load %.2f s%n",
                    promptTokens, genTokens, trials, seed, t, chunkSize, Kernels.describe(), loadSeconds);
            Benchmark.Report r = Benchmark.run(m, settings, System.out::println);
            double[] pp = r.trials().stream().mapToDouble(Benchmark.Trial::promptTps).toArray();
            double[] gg = r.trials().stream().mapToDouble(Benchmark.Trial::genTps).toArray();
            System.out.printf(Locale.ROOT, "prompt     min %8.2f   median %8.2f   max %8.2f tok/s%n",
                    Benchmark.min(pp), r.medianPromptTps(), Benchmark.max(pp));
            System.out.printf(Locale.ROOT, "generate   min %8.2f   median %8.2f   max %8.2f tok/s%n",
                    Benchmark.min(gg), r.medianGenTps(), Benchmark.max(gg));
            long bytesPerToken = info.decodeBytesPerToken() + r.stateBytesAvg();
            if (reprobe || BandwidthProbe.cached(t).isEmpty()) {
                System.err.println("tessera: measuring memory bandwidth (a few seconds; cached per machine, --reprobe redoes it)...");
            } else {
                System.err.println("tessera: memory bandwidth from the cache (" + BandwidthProbe.cacheFile() + "; --reprobe redoes it)");
            }
            double bw = BandwidthProbe.readGBs(t, !reprobe);
            double achieved = r.medianGenTps() * bytesPerToken / 1e9;
            double share = achieved / bw;
            System.out.printf(Locale.ROOT, "decode reads %.3f GB/token (weights %.3f + state %.3f); bandwidth %.1f GB/s (%d threads) "
                            + "→ ceiling %.2f tok/s; reached %.1f GB/s = %.0f%% of the ceiling%n",
                    bytesPerToken / 1e9, info.decodeBytesPerToken() / 1e9, r.stateBytesAvg() / 1e9, bw, t,
                    bw * 1e9 / bytesPerToken, achieved, share * 100);
            if (json != null) {
                ObjectNode root = Json.MAPPER.createObjectNode();
                root.put("model", model);
                root.put("architecture", info.architecture());
                root.put("threads", t);
                root.put("p", promptTokens);
                root.put("g", genTokens);
                root.put("n", trials);
                root.put("seed", seed);
                root.put("chunk_size", chunkSize);
                root.put("load_seconds", loadSeconds);
                root.put("prompt_tps", r.medianPromptTps());
                root.put("gen_tps", r.medianGenTps());
                root.put("bytes_per_token", bytesPerToken);
                root.put("weight_bytes_per_token", info.decodeBytesPerToken());
                root.put("state_bytes_per_token", r.stateBytesAvg());
                root.put("bandwidth_gbs", bw);
                root.put("ceiling_share", share);
                root.put("vector", Kernels.describe());
                root.put("jvm", Runtime.version().toString());
                ArrayNode arr = root.putArray("trials");
                for (Benchmark.Trial tr : r.trials()) {
                    ObjectNode o = arr.addObject();
                    o.put("prompt_tps", tr.promptTps());
                    o.put("gen_tps", tr.genTps());
                    o.put("prompt_seconds", tr.promptSeconds());
                    o.put("gen_seconds", tr.genSeconds());
                }
                Files.writeString(json, Json.MAPPER.writeValueAsString(root));
            }
            return 0;
        }
    }
}
