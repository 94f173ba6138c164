package dev.tessera.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.convert.Converter;
import dev.tessera.gate.Gate;
import dev.tessera.io.Bundle;
import dev.tessera.io.Json;
import dev.tessera.io.QuantScheme;
import dev.tessera.model.LoadOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tessera convert}: a checkpoint or synthetic model to a bundle, with a progress bar, safe to interrupt. */
@Command(name = "convert", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Converts a Hugging Face checkpoint (or synthetic:<preset>) into a Tessera bundle.",
                "Schemes: bf16, fp16 (all matrices in that type); int8lin, int4lin (linear layers int8/int4 per block of 32;",
                "embedding, norms, conv and SSM parameters unchanged); int8hu, int4hu (the same plus an int8 untied head).",
                "Writes into a temporary folder beside OUT and renames it at the end: an interrupted run leaves nothing.",
                "Example: tessera convert ~/models/Nanbeige4.1-3B -o nanbeige-int8hu --quant int8hu"})
final class ConvertCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "SRC", description = "Checkpoint folder (config.json + *.safetensors) or synthetic:<preset>.")
    String source;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT", description = "Bundle folder to create.")
    Path output;

    @Option(names = {"-q", "--quant"}, required = true, paramLabel = "SCHEME",
            description = "One of: " + QuantScheme.NAMES + ".")
    String quant;

    @Option(names = "--force", description = "Replace OUT if it is an existing bundle (or an empty folder).")
    boolean force;

    @Option(names = "--gate", description = "Run the numerics gate against the source after converting and store the "
            + "transcript in the bundle's metadata (exit code as `tessera gate`).")
    boolean gate;

    @Option(names = "--gate-prompt", paramLabel = "TEXT", description = "Gate prompt (repeatable; default: the gate's two prompts).")
    List<String> gatePrompts = new ArrayList<>();

    @Option(names = "--gate-raw-tokens", paramLabel = "JSON", description = "Gate prompt as token ids (repeatable).")
    List<String> gateRawTokens = new ArrayList<>();

    @Option(names = "--allow-ties", description = "Gate: accept near-tie prompts (see tessera gate --help).")
    boolean allowTies;

    @Option(names = "--margin-floor", paramLabel = "LOGITS", defaultValue = "0.1", description = "Gate margin floor (default: ${DEFAULT-VALUE}).")
    double marginFloor;

    @Override
    public Integer call() throws Exception {
        QuantScheme scheme = QuantScheme.parse(quant);
        ProgressBar bar = new ProgressBar();
        Converter converter = new Converter(source, output, scheme, force, bar::update);
        // Ctrl-C: the hook stops the conversion and waits for it to remove its temporary folder.
        Thread hook = new Thread(() -> {
            converter.cancel(10_000);
            bar.interrupted();
        }, "tessera-convert-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        long t0 = System.nanoTime();
        Converter.Result r;
        try {
            r = converter.run();
        } finally {
            bar.finish();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // The hook is already running and will finish the cleanup.
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (!r.dropped().isEmpty()) {
            Log.info("left out %d tensor(s) the model does not use, e.g. %s", r.dropped().size(), r.dropped().get(0));
        }
        Log.info("converted %s to %s (%s) in %.1f s: weights %s (source tensors %s), decode reads %s per token",
                source, r.out(), scheme, seconds, Sizes.bytes(r.weightsBytes()), Sizes.bytes(r.sourceBytes()),
                Sizes.bytes(r.info().decodeBytesPerToken()));
        System.out.println(r.out());
        if (!gate) {
            return 0;
        }
        GateCommand.Outcome o = GateCommand.run(r.out().toString(), source, null, gateRawTokens, gatePrompts,
                new Gate.Settings(16, marginFloor, allowTies, 16), LoadOptions.defaults());
        Path meta = r.out().resolve(Bundle.METADATA);
        ObjectNode m = (ObjectNode) Json.read(meta);
        m.set("gate", o.transcript());
        Path tmp = meta.resolveSibling(Bundle.METADATA + ".tmp");
        Files.writeString(tmp, Json.MAPPER.writeValueAsString(m));
        Files.move(tmp, meta, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Log.info("gate: %s (transcript stored in %s)", o.verdict(), meta);
        return o.exitCode();
    }

    /** One line on stderr redrawn in place: percentage, bytes, rate, the tensor being written. */
    static final class ProgressBar {
        private final boolean tty = System.console() != null;
        private final long start = System.nanoTime();
        private int lastDecile = -1;
        private boolean drawn;
        private boolean stopped;

        synchronized void update(long done, long total, String current) {
            if (stopped) {
                return;
            }
            double f = total == 0 ? 1 : (double) done / total;
            if (!tty) {
                int decile = (int) (f * 10);
                if (decile > lastDecile) {
                    lastDecile = decile;
                    System.err.printf(Locale.ROOT, "tessera: convert %3d%% %s%n", decile * 10, current);
                }
                return;
            }
            int width = 30;
            int fill = (int) Math.round(f * width);
            double secs = (System.nanoTime() - start) / 1e9;
            String name = current.length() > 40 ? "…" + current.substring(current.length() - 39) : current;
            System.err.printf(Locale.ROOT, "\r[%s%s] %3.0f%% %s / %s %6.1f MB/s  %-40s", "#".repeat(fill), " ".repeat(width - fill),
                    f * 100, Sizes.bytes(done), Sizes.bytes(total), secs > 0 ? done / secs / 1e6 : 0, name);
            drawn = true;
        }

        synchronized void finish() {
            if (drawn) {
                System.err.println();
                drawn = false;
            }
        }

        synchronized void interrupted() {
            finish();
            stopped = true;
            System.err.println("tessera: convert interrupted; temporary files removed, nothing written");
        }
    }
}
