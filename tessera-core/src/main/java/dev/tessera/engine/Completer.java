package dev.tessera.engine;

import dev.tessera.TesseraException;
import dev.tessera.model.Model;
import dev.tessera.model.ModelState;
import dev.tessera.tokenizer.StopTokens;
import dev.tessera.tokenizer.StreamingDecoder;
import dev.tessera.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntPredicate;

/**
 * Text in, text out, for one model held by a server or an interactive chat: prompt ids → streamed text, with the
 * sampling settings, stop strings, end-of-sequence tokens and token budget of one request.
 *
 * <p>It keeps the session between requests and remembers which tokens its state holds, plus a mark (see
 * {@link ModelState#mark}) at a point of the last prompt the caller chose: for a chat, the end of the conversation
 * before the generation prompt. A request whose prompt starts with all the held tokens prefills only what is new;
 * one that starts with the marked tokens (the next turn, when the template renders the last reply differently from
 * how it was generated, e.g. without its thinking) rewinds to the mark and prefills from there; any other starts
 * from a fresh state. One request runs at a time; the others wait in arrival order (a fair lock).
 */
public final class Completer {
    /** The settings of one request. {@code maxTokens} counts every sampled token, the end-of-sequence one included. */
    public record Params(int maxTokens, double temperature, int topK, double topP, double minP, long seed,
                         List<String> stop, boolean stopAtEos) {
        public Params {
            if (maxTokens < 0) {
                throw new TesseraException.InvalidInput("max tokens must be >= 0, got " + maxTokens);
            }
            stop = stop == null ? List.of() : List.copyOf(stop);
        }

        public static Params greedy(int maxTokens) {
            return new Params(maxTokens, 0, 0, 1, 0, 0, List.of(), true);
        }
    }

    /** Why generation ended: an end-of-sequence token or stop string, the token budget or context, or the reader left. */
    public enum Finish {
        STOP,
        LENGTH,
        CANCELLED;

        /** The OpenAI API's {@code finish_reason}. */
        public String openAiName() {
            return this == LENGTH ? "length" : "stop";
        }
    }

    /**
     * @param reusedTokens prompt tokens that were already in the state and were not prefilled again
     */
    public record Result(String text, int promptTokens, int completionTokens, int reusedTokens, Finish finish,
                         long prefillNanos, long decodeNanos) {
        /** Prefill speed over the tokens actually prefilled (the reused ones cost nothing). */
        public double prefillTokensPerSecond() {
            return prefillNanos == 0 ? 0 : (promptTokens - reusedTokens) * 1e9 / prefillNanos;
        }

        /** Decode speed over the steps after the first token (which the prefill's logits chose). */
        public double decodeTokensPerSecond() {
            return completionTokens <= 1 || decodeNanos == 0 ? 0 : (completionTokens - 1) * 1e9 / decodeNanos;
        }
    }

    /** Receives text as soon as it is final; returns false when nobody is reading any more (stops generation). */
    @FunctionalInterface
    public interface TextSink {
        boolean accept(String text);
    }

    private final Model model;
    private final Tokenizer tokenizer;
    private final Session session;
    private final IntPredicate endOfSequence;
    /** The tokens the session's state holds, in order: the first {@link #heldCount}. */
    private int[] held = new int[0];
    private int heldCount;
    /** A point of the last prompt to rewind to; its tokens are held[0 .. mark.position()) while markValid. */
    private ModelState.Mark mark;
    private boolean markValid;
    /** Whether the session's last logits belong to held[heldCount - 1] (false after a rewind or a failure). */
    private boolean logitsCurrent;
    /** Fair: requests are served in the order they arrived (a monitor lets late ones overtake). */
    private final ReentrantLock lock = new ReentrantLock(true);
    private volatile boolean closed;

    /**
     * @param endOfSequence the ids that end a reply (config {@code eos_token_id} and the tokenizer's end-of-turn
     *     tokens, see {@link #endOfSequence(Model, Tokenizer)})
     */
    public Completer(Model model, Tokenizer tokenizer, int chunkSize, IntPredicate endOfSequence) {
        if (tokenizer.vocabSize() > model.info().vocabSize()) {
            throw new TesseraException.InvalidInput("the tokenizer has " + tokenizer.vocabSize() + " tokens but the model's "
                    + "vocabulary is " + model.info().vocabSize() + ": they do not belong together");
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.session = new Session(model, chunkSize);
        this.endOfSequence = endOfSequence;
    }

    /** The model's end-of-sequence ids from its config plus the tokenizer's end-of-turn tokens (if it has one). */
    public static IntPredicate endOfSequence(Model model, Tokenizer tokenizer) {
        Set<Integer> eos = new HashSet<>(model.info().config().intOrList("eos_token_id"));
        if (tokenizer == null) {
            return eos::contains;
        }
        StopTokens endOfTurn = tokenizer.stopTokens();
        return id -> eos.contains(id) || endOfTurn.isStop(id);
    }

    public Model model() {
        return model;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * Runs a short throw-away generation so the JIT compiles the prefill and decode paths before the first real
     * request (a cold first request runs several times slower), then forgets it.
     */
    public void warmUp() {
        int[] words = tokenizer.encode("The quick brown fox jumps over the lazy dog. ".repeat(6), false);
        int n = Math.min(words.length, model.info().contextLength() / 2);
        int budget = Math.min(16, model.info().contextLength() - n - 1);
        if (n > 8 && budget > 0) {
            // What a chat request runs: a long prefill up to a mark, a short one after it, decode steps; then a
            // prompt that rewinds to the mark and prefills a few tokens.
            complete(Arrays.copyOf(words, n), n - 4, Params.greedy(budget), piece -> true);
            int[] next = Arrays.copyOf(words, n - 1);
            next[n - 2] = words[0];
            complete(next, Params.greedy(budget), piece -> true);
        }
        reset();
    }

    /**
     * Stops a generation in progress at its next token, waits for it to end, and refuses later requests; the
     * model can then be closed safely. (The model itself belongs to the caller.)
     */
    public void close() {
        closed = true;
        lock.lock();
        lock.unlock();
    }

    /** Forgets the held tokens: the next request prefills from scratch. */
    public void reset() {
        lock.lock();
        try {
            session.reset();
            heldCount = 0;
            markValid = false;
            logitsCurrent = false;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Refuses a prompt this completer cannot run, before anything is streamed: empty, an id outside the vocabulary,
     * or no room in the context for it plus one generated token ({@link TesseraException.ContextOverflow}).
     */
    public void check(int[] prompt) {
        int vocab = model.info().vocabSize();
        int context = model.info().contextLength();
        if (prompt.length == 0) {
            throw new TesseraException.InvalidInput("the prompt is empty: at least one token is needed");
        }
        for (int id : prompt) {
            if (id < 0 || id >= vocab) {
                throw new TesseraException.InvalidInput("token id " + id + " is outside the vocabulary (0.." + (vocab - 1) + ")");
            }
        }
        if (prompt.length >= context) {
            throw new TesseraException.ContextOverflow("the prompt has " + prompt.length + " tokens, but the context holds "
                    + context + " (including at least one generated token): shorten the prompt");
        }
    }

    /**
     * Prefills what is new in {@code prompt} and generates until an end-of-sequence token (not emitted), a stop
     * string (not emitted), {@code maxTokens}, the context length, or until {@code sink} refuses text.
     *
     * @throws TesseraException.InvalidInput for an empty prompt, an id outside the vocabulary, or a prompt that does
     *     not fit in the context
     */
    public Result complete(int[] prompt, Params params, TextSink sink) {
        return complete(prompt, prompt.length, params, sink);
    }

    /**
     * As {@link #complete(int[], Params, TextSink)}, marking the state after the first {@code markAt} prompt tokens
     * so that a later prompt sharing only those can rewind there.
     */
    public Result complete(int[] prompt, int markAt, Params params, TextSink sink) {
        check(prompt);
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("the completer is closed");
            }
            return run(prompt, markAt, params, sink);
        } finally {
            lock.unlock();
        }
    }

    private Result run(int[] prompt, int markAt, Params params, TextSink sink) {
        int vocab = model.info().vocabSize();
        int context = model.info().contextLength();
        if (markAt < 0 || markAt > prompt.length) {
            throw new IllegalArgumentException("mark at " + markAt + " outside a prompt of " + prompt.length);
        }
        Sampler sampler = new Sampler(params.temperature(), params.topK(), params.topP(), params.minP(), params.seed());
        StopStrings stops = new StopStrings(params.stop());
        long t0 = System.nanoTime();
        boolean hadMark = markValid;
        int reused = reusablePrefix(prompt);
        if (reused == 0 && markValid && mark.position() < prompt.length && Arrays.equals(held, 0, mark.position(), prompt, 0, mark.position())
                && session.state().rewind(mark)) {
            reused = mark.position();
        }
        if (reused == 0 && session.position() > 0) {
            session.reset();
        }
        // Until this request ends normally the state may hold anything: a failure must not leave it reusable.
        boolean same = reused == prompt.length;
        heldCount = 0;
        markValid = false;
        logitsCurrent = false;
        int capacity = (int) Math.min(context, (long) prompt.length + params.maxTokens());
        if (held.length < capacity) {
            held = Arrays.copyOf(held, capacity);
        }
        System.arraycopy(prompt, 0, held, 0, prompt.length);
        int before = Math.max(reused, markAt);
        if (before > reused) {
            session.prefill(prompt, reused, before - reused, null);
        }
        boolean marking = markAt >= reused && !same;
        if (marking) {
            mark = session.state().mark(mark);
        }
        if (prompt.length > before) {
            session.prefill(prompt, before, prompt.length - before, null);
        }
        markValid = marking || (same && hadMark);
        long t1 = System.nanoTime();
        int count = prompt.length;

        StreamingDecoder decoder = tokenizer.newStreamingDecoder(true);
        int known = tokenizer.vocabSize();
        StringBuilder text = new StringBuilder();
        Finish finish = Finish.LENGTH;
        int generated = 0;
        boolean open = true;
        while (generated < params.maxTokens()) {
            int token = sampler.sample(session.lastLogits().data(), 0, vocab);
            generated++;
            if (params.stopAtEos() && endOfSequence.test(token)) {
                finish = Finish.STOP;
                break;
            }
            // Ids past the tokenizer (padding rows of the embedding) have no text, as in HF's decode.
            String piece = token < known ? stops.push(decoder.push(token)) : "";
            if (!piece.isEmpty()) {
                text.append(piece);
                open = sink.accept(piece);
            }
            if (stops.stopped()) {
                finish = Finish.STOP;
                break;
            }
            if (!open || closed) {
                finish = Finish.CANCELLED;
                break;
            }
            if (generated == params.maxTokens() || session.position() >= context) {
                break;
            }
            session.step(token);
            held[count++] = token;
        }
        if (finish != Finish.CANCELLED && !stops.stopped()) {
            String rest = stops.push(decoder.flush());
            rest += stops.flush();
            if (stops.stopped()) {
                finish = Finish.STOP;
            }
            if (!rest.isEmpty()) {
                text.append(rest);
                if (!sink.accept(rest)) {
                    finish = Finish.CANCELLED;
                }
            }
        }
        heldCount = count;
        logitsCurrent = true;
        long t2 = System.nanoTime();
        return new Result(text.toString(), prompt.length, generated, reused, finish, t1 - t0, t2 - t1);
    }

    /** How many leading prompt tokens the state already holds: all it holds, or none. */
    private int reusablePrefix(int[] prompt) {
        int n = heldCount;
        // The same prompt again (a retry, a regeneration): the last logits are those of its last token.
        if (n == 0 || n > prompt.length || (n == prompt.length && !logitsCurrent)) {
            return 0;
        }
        return Arrays.equals(held, 0, n, prompt, 0, n) ? n : 0;
    }
}
