package dev.tessera.cli;

import dev.tessera.convert.Verifier;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tessera verify}: is a bundle intact, and (with --source) faithful to its source? Exit 1 when not. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Re-hashes every file of a bundle and checks metadata.json against the files and the model.",
                "With --source, also checks that tokenizer files and chat template are byte-identical to the source and",
                "that vocabulary, context length and config agree. Exits 1 and lists the problems on any mismatch.",
                "Example: tessera verify nanbeige-int8hu --source ~/models/Nanbeige4.1-3B"})
final class VerifyCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "BUNDLE", description = "Bundle folder.")
    Path bundle;

    @Option(names = "--source", paramLabel = "SRC", description = "The checkpoint folder (or synthetic:<preset>) it was converted from.")
    String source;

    @Option(names = {"-v", "--verbose"}, description = "Print every check that passes.")
    boolean verbose;

    @Override
    public Integer call() {
        List<String> problems = Verifier.verify(bundle, source, msg -> {
            if (verbose) {
                Log.info("%s", msg);
            }
        });
        if (problems.isEmpty()) {
            System.out.println("OK " + bundle + (source == null ? "" : " (matches " + source + ")"));
            return 0;
        }
        System.err.println("tessera: verify FAILED for " + bundle + ":");
        for (String p : problems) {
            System.err.println("  - " + p);
        }
        return 1;
    }
}
