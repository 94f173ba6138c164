package dev.tessera.cli;

import dev.tessera.convert.Converter;
import dev.tessera.io.QuantScheme;
import java.nio.file.Path;
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

    @Override
    public Integer call() {
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
        return 0;
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
