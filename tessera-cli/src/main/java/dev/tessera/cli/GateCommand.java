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
import java.util.Optional;
import dev.tessera.tokenizer.Tokenizer;
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

    @Option(names = "--prompt", paramLabel = "TEXT",
            description = "A text prompt (repeatable), tokenized with the model's tokenizer. Default: a plain prompt and a "
                    + "short multi-step reasoning prompt.")
    List<String> prompts = new ArrayList<>();

    @Option(names = "--tokenizer", paramLabel = "DIR", description = "Tokenizer folder (default: the bundle's or the reference's).")
    Path tokenizerDir;

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
        Gate.Settings settings = new Gate.Settings(genTokens, marginFloor, allowTies, chunkSize);
        Outcome o = run(bundle, reference, tokenizerDir, rawTokens, prompts, settings, opts);
        if (transcriptFile != null) {
            Files.writeString(transcriptFile, Json.MAPPER.writeValueAsString(o.transcript()));
            Log.info("transcript written to %s", transcriptFile);
        }
        return report(o.verdict(), o.results());
    }

    /** A finished gate: the verdict, per-prompt results and the transcript. */
    record Outcome(Gate.Verdict verdict, List<Gate.PromptResult> results, ObjectNode transcript) {
        int exitCode() {
            return switch (verdict) {
                case PASS, PASS_TIE -> 0;
                case FAIL -> 1;
                case REJECTED -> 3;
            };
        }
    }

    /** Runs the whole ladder (also used by {@code convert --gate}). */
    static Outcome run(String bundle, String reference, Path tokenizerDir, List<String> rawTokens, List<String> prompts,
                       Gate.Settings settings, LoadOptions opts) {
        Optional<Tokenizer> tok = TextSupport.tokenizerFor(bundle, tokenizerDir)
                .or(() -> TextSupport.tokenizerFor(reference, null));
        List<int[]> inputs = new ArrayList<>();
        for (String raw : rawTokens) {
            inputs.add(Args.tokenIds(raw, "--raw-tokens"));
        }
        List<String> texts = prompts.isEmpty() && rawTokens.isEmpty() ? DEFAULT_PROMPTS : prompts;
        if (!texts.isEmpty()) {
            Tokenizer t = tok.orElseThrow(() -> new TesseraException.InvalidInput("text prompts need a tokenizer, and neither "
                    + bundle + " nor " + reference + " has one: pass --tokenizer DIR or --raw-tokens '[...]'"));
            for (String text : texts) {
                inputs.add(t.encode(text, true));
            }
        }
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
            for (int[] prompt : inputs) {
                Log.info("gate: prompt %d/%d: reference pass (%d tokens + %d generated)", ++i, inputs.size(), prompt.length,
                        settings.genTokens());
                Gate.Reference r = gate.reference(ref, prompt);
                results.add(gate.check(b, ref, r));
            }
        }
        Gate.Verdict verdict = Gate.overall(results);
        Map<String, String> sha = Files.exists(Path.of(bundle)) ? Transcript.sha256(Path.of(bundle)) : Map.of();
        ObjectNode t = Transcript.build(new Transcript.Identity(bundle, reference, architecture, sha, reference, null),
                settings, results, verdict, tok.<java.util.function.Function<int[], String>>map(tk -> ids -> safeDecode(tk, ids)).orElse(null));
        return new Outcome(verdict, results, t);
    }

    /** A plain prompt, and a short multi-step one: int4 models often pass the first token and fail the second. */
    static final List<String> DEFAULT_PROMPTS = List.of(
            "The capital of France is",
            "Question: Anna has 3 boxes with 4 apples in each box. She gives away 5 apples. How many apples does she "
                    + "have left? Let's think step by step.\nAnswer:");

    static String safeDecode(Tokenizer t, int[] ids) {
        int[] known = java.util.Arrays.stream(ids).filter(id -> id >= 0 && id < t.vocabSize()).toArray();
        return t.decode(known, false);
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
