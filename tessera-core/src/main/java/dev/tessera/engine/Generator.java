package dev.tessera.engine;

import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * The generation loop: prefill the prompt in chunks, then sample one token per step until a stop token or the
 * token budget, handing each token to a listener as soon as it is chosen (streaming).
 */
public final class Generator {
    /** Receives each generated token; {@code logits} is the vector that chose it (valid only during the call). */
    @FunctionalInterface
    public interface Listener {
        void onToken(int token, float[] logits, int vocab);
    }

    /** What happened: the ids, why it stopped, and timings. */
    public record Result(int[] prompt, int[] generated, StopReason reason, long prefillNanos, long decodeNanos) {
        public double prefillTokensPerSecond() {
            return prefillNanos == 0 ? 0 : prompt.length * 1e9 / prefillNanos;
        }

        /** Decode speed over the steps after the first token (the first comes from the prefill). */
        public double decodeTokensPerSecond() {
            return generated.length <= 1 || decodeNanos == 0 ? 0 : (generated.length - 1) * 1e9 / decodeNanos;
        }
    }

    public enum StopReason {
        STOP_TOKEN,
        MAX_TOKENS,
        CONTEXT_FULL
    }

    private final Session session;
    private final Sampler sampler;
    private final IntPredicate isStop;

    public Generator(Session session, Sampler sampler, IntPredicate isStop) {
        this.session = session;
        this.sampler = sampler;
        this.isStop = isStop == null ? id -> false : isStop;
    }

    public Result generate(int[] prompt, int maxTokens, Listener listener) {
        long t0 = System.nanoTime();
        session.prefill(prompt);
        long t1 = System.nanoTime();
        int vocab = session.model().info().vocabSize();
        int context = session.model().info().contextLength();
        int[] out = new int[Math.max(0, maxTokens)];
        int n = 0;
        StopReason reason = StopReason.MAX_TOKENS;
        while (n < maxTokens) {
            float[] logits = session.lastLogits().data();
            int token = sampler.sample(logits, 0, vocab);
            out[n++] = token;
            if (listener != null) {
                listener.onToken(token, logits, vocab);
            }
            if (isStop.test(token)) {
                reason = StopReason.STOP_TOKEN;
                break;
            }
            if (n == maxTokens) {
                break;
            }
            if (session.position() >= context) {
                reason = StopReason.CONTEXT_FULL;
                break;
            }
            session.step(token);
        }
        long t2 = System.nanoTime();
        return new Result(prompt, Arrays.copyOf(out, n), reason, t1 - t0, t2 - t1);
    }
}
