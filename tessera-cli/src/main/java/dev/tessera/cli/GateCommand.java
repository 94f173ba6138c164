package dev.tessera.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.TesseraException;
import dev.tessera.gate.Gate;
import dev.tessera.gate.Transcript;
import dev.tessera.io.Json;
import dev.tessera.model.LoadOptions;
import dev.tessera.model.Model;
import dev.tessera.model.Models;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tessera gate}: prove a bundle against its fp32 reference and write the transcript. */
@Command(name = "gate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Checks a (quantized) model against an fp32 reference: prompt validity, teacher-forced sweep,",
                "seeded decode step, free-run greedy decode. Margins are in logits (top-1 − top-2 of the reference).",
                "Exit codes: 0 PASS or PASS_TIE, 1 FAIL, 2 error, 3 prompt rejected (near-tie; see --allow-ties)."})
final class GateCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "BUNDLE", description = "The model to check (bundle, checkpoint or synthetic spec).")
    String bundle;

    @Option(names = "--reference", paramLabel = "SRC",
            description = "The fp32 reference: the source checkpoint, or the synthetic preset the bundle was made from.")
    String reference;

    @Option(names = "--raw-tokens", paramLabel = "JSON", description = "A prompt as token ids (repeatable).")
    List<String> rawTokens = new ArrayList<>();

    @Option(names = "-n", paramLabel = "N", defaultValue = "16", description = "Greedy tokens per prompt (default: ${DEFAULT-VALUE}).")
    int genTokens;

    @Option(names = "--margin-floor", paramLabel = "LOGITS", defaultValue = "0.1",
            description = "Reference top-2 margin (in logits) below which a position is a near-tie (default: ${DEFAULT-VALUE}).")
    double marginFloor;

    @Option(names = "--allow-ties", description = "Accept prompts with near-ties; disagreements there count as ties.")
    boolean allowTies;

    @Option(names = "--chunk-size", paramLabel = "N", defaultValue = "16", description = "Prefill chunk of the free run (default: ${DEFAULT-VALUE}).")
    int chunkSize;

    @Option(names = "--transcript", paramLabel = "FILE", description = "Write the transcript JSON here.")
    Path transcriptFile;

    @Option(names = "--recheck", paramLabel = "TRANSCRIPT", description = "Re-run only the bundle half against a stored transcript.")
    Path recheck;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", defaultValue = "0", description = "Threads (default: all cores).")
    int threads;

    @Override
    public Integer call() throws Exception {
        LoadOptions opts = LoadOptions.defaults().withThreads(threads);
        if (recheck != null) {
            return recheck(opts);
        }
        if (reference == null) {
            throw new TesseraException.InvalidInput("gate needs --reference SRC (or --recheck TRANSCRIPT)");
        }
        if (rawTokens.isEmpty()) {
            throw new TesseraException.InvalidInput("give at least one prompt with --raw-tokens '[...]'");
        }
        Gate.Settings settings = new Gate.Settings(genTokens, marginFloor, allowTies, chunkSize);
        Gate gate = new Gate(settings, msg -> Log.info("%s", msg));
        List<Gate.PromptResult> results = new ArrayList<>();
        String architecture;
        try (Model ref = Models.load(reference, opts); Model b = Models.load(bundle, opts)) {
            architecture = b.info().architecture();
            if (!architecture.equals(ref.info().architecture()) || b.info().vocabSize() != ref.info().vocabSize()) {
                throw new TesseraException.InvalidInput("bundle (" + architecture + ", vocab " + b.info().vocabSize()
                        + ") and reference (" + ref.info().architecture() + ", vocab " + ref.info().vocabSize()
                        + ") are not the same model");
            }
            int i = 0;
            for (String raw : rawTokens) {
                int[] prompt = Args.tokenIds(raw, "--raw-tokens");
                Log.info("gate: prompt %d/%d: reference pass (%d tokens + %d generated)", ++i, rawTokens.size(), prompt.length, genTokens);
                Gate.Reference r = gate.reference(ref, prompt);
                results.add(gate.check(b, ref, r));
            }
        }
        Gate.Verdict verdict = Gate.overall(results);
        Map<String, String> sha = Files.exists(Path.of(bundle)) ? Transcript.sha256(Path.of(bundle)) : Map.of();
        ObjectNode t = Transcript.build(new Transcript.Identity(bundle, reference, architecture, sha, reference, null),
                settings, results, verdict, null);
        if (transcriptFile != null) {
            Files.writeString(transcriptFile, Json.MAPPER.writeValueAsString(t));
            Log.info("transcript written to %s", transcriptFile);
        }
        return report(verdict, results);
    }

    private int recheck(LoadOptions opts) throws Exception {
        JsonNode stored = Json.read(recheck);
        List<Gate.Reference> refs = Transcript.references(stored, recheck);
        Gate.Settings settings = Transcript.settings(stored);
        Gate gate = new Gate(settings, msg -> Log.info("%s", msg));
        List<Gate.PromptResult> results = new ArrayList<>();
        try (Model b = Models.load(bundle, opts)) {
            for (Gate.Reference r : refs) {
                results.add(gate.check(b, null, r));
            }
        }
        Gate.Verdict verdict = Gate.overall(results);
        String before = stored.path("result").asText();
        Log.info("recheck: stored verdict %s, now %s%s", before, verdict,
                before.equals(verdict.name()) ? " (reproduced)" : " (DIFFERENT)");
        return report(verdict, results);
    }

    private static int report(Gate.Verdict verdict, List<Gate.PromptResult> results) {
        for (Gate.PromptResult r : results) {
            if (r.reason() != null) {
                System.out.println("  " + r.verdict() + ": " + r.reason());
            }
        }
        System.out.println(verdict.name());
        return switch (verdict) {
            case PASS, PASS_TIE -> 0;
            case FAIL -> 1;
            case REJECTED -> 3;
        };
    }
}
