package dev.tessera.bench;

import dev.tessera.TesseraException;
import dev.tessera.engine.Session;
import dev.tessera.model.Model;
import dev.tessera.tensor.Kernels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Prefill and decode speed with the semantics of the reference ports' {@code llm-benchmark}, so numbers compare:
 * a random prompt of p ids from a SplitMix64 stream seeded with {@code seed} (mod vocab), one untimed warm-up
 * trial, then n timed trials each from a fresh state; prompt tok/s = p ÷ time to first token; generation tok/s =
 * (g − 1) ÷ time from first to last token; greedy, no stop at EOS.
 */
public final class Benchmark {
    public record Settings(int promptTokens, int genTokens, int trials, long seed, int chunkSize) {
        public Settings {
            if (promptTokens < 1 || genTokens < 2 || trials < 1 || chunkSize < 1) {
                throw new TesseraException.InvalidInput("bench needs -p >= 1, -g >= 2, -n >= 1 and --chunk-size >= 1");
            }
        }
    }

    /** One trial: seconds to the first token and for the (g − 1) tokens after it. */
    public record Trial(double promptSeconds, double genSeconds, double promptTps, double genTps) {}

    public record Report(List<Trial> trials, double medianPromptTps, double medianGenTps, long stateBytesAvg) {}

    private Benchmark() {}

    public static int[] prompt(int p, int vocab, long seed) {
        int[] ids = new int[p];
        long state = seed;
        for (int i = 0; i < p; i++) {
            state += 0x9E3779B97F4A7C15L;
            long z = state;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z = z ^ (z >>> 31);
            ids[i] = (int) Long.remainderUnsigned(z, vocab);
        }
        return ids;
    }

    public static Report run(Model model, Settings s, Consumer<String> progress) {
        int vocab = model.info().vocabSize();
        int[] prompt = prompt(s.promptTokens(), vocab, s.seed());
        if (s.promptTokens() + s.genTokens() > model.info().contextLength()) {
            throw new TesseraException.InvalidInput("p + g = " + (s.promptTokens() + s.genTokens())
                    + " exceeds the context length of " + model.info().contextLength());
        }
        Session session = new Session(model, s.chunkSize());
        List<Trial> trials = new ArrayList<>();
        long stateBytes = 0;
        for (int t = 0; t <= s.trials(); t++) {
            session.reset();
            long t0 = System.nanoTime();
            session.prefill(prompt);
            int token = Kernels.argmax(session.lastLogits().data(), 0, vocab);
            long t1 = System.nanoTime();
            long stateAfterPrefill = session.state().stateBytes();
            for (int k = 1; k < s.genTokens(); k++) {
                session.step(token);
                token = Kernels.argmax(session.lastLogits().data(), 0, vocab);
            }
            long t2 = System.nanoTime();
            stateBytes = (stateAfterPrefill + session.state().stateBytes()) / 2;
            double ps = (t1 - t0) / 1e9;
            double gs = (t2 - t1) / 1e9;
            Trial trial = new Trial(ps, gs, s.promptTokens() / ps, (s.genTokens() - 1) / gs);
            if (t == 0) {
                progress.accept(String.format(java.util.Locale.ROOT, "warm-up    prompt %8.2f tok/s   gen %8.2f tok/s (not counted)",
                        trial.promptTps(), trial.genTps()));
            } else {
                trials.add(trial);
                progress.accept(String.format(java.util.Locale.ROOT, "trial %-4d prompt %8.2f tok/s   gen %8.2f tok/s",
                        t, trial.promptTps(), trial.genTps()));
            }
        }
        return new Report(trials, median(trials.stream().mapToDouble(Trial::promptTps).toArray()),
                median(trials.stream().mapToDouble(Trial::genTps).toArray()), stateBytes);
    }

    public static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        int n = c.length;
        return n % 2 == 1 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
    }

    public static double min(double[] v) {
        return Arrays.stream(v).min().orElse(0);
    }

    public static double max(double[] v) {
        return Arrays.stream(v).max().orElse(0);
    }
}
