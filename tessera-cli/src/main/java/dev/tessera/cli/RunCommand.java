package dev.tessera.cli;

import dev.tessera.TesseraException;
import dev.tessera.engine.Completer;
import dev.tessera.engine.Generator;
import dev.tessera.engine.Sampler;
import dev.tessera.engine.Session;
import dev.tessera.io.SafeTensorsWriter;
import dev.tessera.model.Model;
import dev.tessera.tokenizer.StreamingDecoder;
import dev.tessera.tokenizer.Tokenizer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.function.IntPredicate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tessera run}: feed a prompt, generate, print (or save the logits for checking against a reference). */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs a model on a prompt and generates tokens.",
                "Examples: tessera run --model synthetic:llama-tiny --raw-tokens '[1,2,3]' --max-tokens 8",
                "          tessera run --model ./Qwen3.5-0.8B --prompt 'Why is the sky blue?' --chat --kwargs '{\"enable_thinking\": false}'"})
final class RunCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions = new ModelOptions();

    @Mixin
    TextOptions text = new TextOptions();

    @Option(names = "--raw-tokens", paramLabel = "JSON",
            description = "The prompt as a JSON array of token ids, e.g. '[1,2,3]'. Output: the generated ids.")
    String rawTokens;

    @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT",
            description = "The prompt as text (tokenized with the model's tokenizer). Output: streamed text.")
    String prompt;

    @Option(names = "--chat", description = "Wrap --prompt as a user turn in the model's chat template.")
    boolean chat;

    @Option(names = "--system", paramLabel = "TEXT", description = "With --chat: a system message.")
    String system;

    @Option(names = {"-n", "--max-tokens"}, paramLabel = "N", defaultValue = "32",
            description = "Tokens to generate (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Mixin
    SamplingOptions sampling = new SamplingOptions();

    @Option(names = "--stop-at-eos", negatable = true,
            description = "Stop at the model's end-of-sequence / end-of-turn tokens (default: on for --prompt, off for --raw-tokens).")
    Boolean stopAtEos;

    @Option(names = "--save-logits", paramLabel = "FILE",
            description = "Write input_ids, teacher-forced logits, generated_ids and generated_logits to a safetensors file.")
    Path saveLogits;

    @Override
    public Integer call() {
        if ((rawTokens == null) == (prompt == null)) {
            throw new TesseraException.InvalidInput("give the prompt either as --prompt TEXT or as --raw-tokens '[ids]'");
        }
        if (chat && prompt == null) {
            throw new TesseraException.InvalidInput("--chat applies to --prompt TEXT");
        }
        if (maxTokens < 0) {
            throw new TesseraException.InvalidInput("--max-tokens must be >= 0");
        }
        Tokenizer tok = prompt != null ? text.tokenizer(modelOptions.model, "--prompt needs") : null;
        int[] ids = prompt != null ? TextSupport.encodePrompt(tok, prompt, chat, system, text.kwargs)
                : Args.tokenIds(rawTokens, "--raw-tokens");
        if (ids.length == 0) {
            throw new TesseraException.InvalidInput("the prompt is empty: give at least one token");
        }
        try (Model model = modelOptions.load()) {
            if (tok != null && tok.vocabSize() > model.info().vocabSize()) {
                throw new TesseraException.InvalidInput("the tokenizer has " + tok.vocabSize() + " tokens but the model's "
                        + "vocabulary is " + model.info().vocabSize() + ": they do not belong together");
            }
            Session session = new Session(model, modelOptions.chunkSize);
            Sampler sampler = sampling.sampler(0);
            int vocab = model.info().vocabSize();
            if (saveLogits != null) {
                return saveLogits(model, session, ids, vocab);
            }
            IntPredicate stop = null;
            boolean stopping = stopAtEos != null ? stopAtEos : prompt != null;
            if (stopping) {
                stop = Completer.endOfSequence(model, tok);
            }
            Generator generator = new Generator(session, sampler, stop);
            Generator.Result r;
            if (tok != null) {
                StreamingDecoder decoder = tok.newStreamingDecoder(true);
                PrintStream out = System.out;
                int known = tok.vocabSize();
                boolean[] warned = {false};
                r = generator.generate(ids, maxTokens, (token, logits, v) -> {
                    if (token >= known) {
                        // Padding rows of the embedding have no text (HF's decode skips them too).
                        if (!warned[0]) {
                            Log.info("note: the model produced id %d, which the tokenizer (%d ids) has no text for", token, known);
                            warned[0] = true;
                        }
                        return;
                    }
                    out.print(decoder.push(token));
                    out.flush();
                });
                out.println(decoder.flush());
            } else {
                r = generator.generate(ids, maxTokens, null);
                System.out.println(Args.json(r.generated()));
            }
            Log.info("prompt %d tokens in %.1f ms (%.1f tok/s); generated %d tokens, %.2f tok/s; stop: %s",
                    ids.length, r.prefillNanos() / 1e6, r.prefillTokensPerSecond(), r.generated().length,
                    r.decodeTokensPerSecond(), r.reason().name().toLowerCase(java.util.Locale.ROOT));
            return 0;
        }
    }

    private int saveLogits(Model model, Session session, int[] prompt, int vocab) {
        float[][] teacher = new float[prompt.length][];
        session.prefill(prompt, 0, prompt.length, teacher);
        List<float[]> stepLogits = new ArrayList<>();
        List<Integer> ids = new ArrayList<>();
        Sampler sampler = sampling.sampler(0);
        for (int k = 0; k < maxTokens; k++) {
            float[] logits = session.lastLogits().data();
            int token = sampler.sample(logits, 0, vocab);
            stepLogits.add(java.util.Arrays.copyOf(logits, vocab));
            ids.add(token);
            if (k + 1 < maxTokens) {
                session.step(token);
            }
        }
        long[] inputIds = new long[prompt.length];
        for (int i = 0; i < prompt.length; i++) {
            inputIds[i] = prompt[i];
        }
        long[] gen = ids.stream().mapToLong(Integer::longValue).toArray();
        SafeTensorsWriter.write(saveLogits, Map.of("producer", "tessera run", "model", modelOptions.model), List.of(
                SafeTensorsWriter.i64("input_ids", inputIds, prompt.length),
                SafeTensorsWriter.f32("logits", flatten(teacher, vocab), prompt.length, vocab),
                SafeTensorsWriter.i64("generated_ids", gen, gen.length),
                SafeTensorsWriter.f32("generated_logits", flatten(stepLogits.toArray(float[][]::new), vocab), gen.length, vocab)));
        System.out.println(Args.json(ids.stream().mapToInt(Integer::intValue).toArray()));
        Log.info("wrote %s", saveLogits);
        return 0;
    }

    private static float[] flatten(float[][] rows, int vocab) {
        float[] out = new float[rows.length * vocab];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, out, i * vocab, vocab);
        }
        return out;
    }
}
