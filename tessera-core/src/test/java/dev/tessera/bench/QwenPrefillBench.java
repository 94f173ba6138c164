package dev.tessera.bench;

import dev.tessera.model.LoadOptions;
import dev.tessera.model.Logits;
import dev.tessera.model.Model;
import dev.tessera.model.Models;
import dev.tessera.model.Qwen35;
import dev.tessera.model.layers.GatedDeltaNet;
import dev.tessera.tensor.Kernels;
import dev.tessera.tensor.ScalarKernels;
import java.util.Locale;
import java.util.Random;

/**
 * Prefill speed of Qwen3.5 with the chunked DeltaNet form vs the token-by-token recurrence, and the delta rule alone.
 * Not a unit test: run with
 * {@code java --add-modules jdk.incubator.vector -cp <test+main classes+deps> dev.tessera.bench.QwenPrefillBench [model] [p] [threads]}.
 */
public final class QwenPrefillBench {
    public static void main(String[] args) {
        String spec = args.length > 0 ? args[0] : "synthetic:qwen3.5-0.8b";
        int p = args.length > 1 ? Integer.parseInt(args[1]) : 128;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        deltaRuleAlone(128, 128, 16, p);
        try (Model m = Models.load(spec, LoadOptions.defaults().withThreads(threads))) {
            int[] ids = Benchmark.prompt(p, m.info().vocabSize(), 0);
            Logits out = Logits.last(m.info().vocabSize());
            // {label, chunk size, form}
            Object[][] modes = {
                {"one chunk, chunked DeltaNet", p, GatedDeltaNet.Form.AUTO},
                {"one chunk, recurrent DeltaNet", p, GatedDeltaNet.Form.RECURRENT},
                {"token by token (decode path)", 1, GatedDeltaNet.Form.AUTO},
            };
            for (int round = 0; round < 3; round++) {
                for (Object[] mode : modes) {
                    int chunk = (Integer) mode[1];
                    Qwen35.State s = (Qwen35.State) m.newState();
                    s.deltaForm((GatedDeltaNet.Form) mode[2]);
                    long t0 = System.nanoTime();
                    for (int start = 0; start < p; start += chunk) {
                        m.forward(ids, start, Math.min(chunk, p - start), s, out);
                    }
                    double sec = (System.nanoTime() - t0) / 1e9;
                    System.out.printf(Locale.ROOT, "round %d  %-32s p=%d  %7.2f tok/s  (%.2f s)%n", round, mode[0], p, p / sec, sec);
                }
            }
        }
    }

    /** The delta rule alone at the 0.8B shape, one thread: all value heads over T tokens. */
    static void deltaRuleAlone(int dk, int dv, int heads, int tokens) {
        Random r = new Random(1);
        float[] qk = new float[tokens * 2 * dk];
        float[] v = new float[tokens * dv];
        float[] beta = new float[tokens];
        float[] g = new float[tokens];
        for (int i = 0; i < qk.length; i++) {
            qk[i] = (float) r.nextGaussian();
        }
        for (int t = 0; t < tokens; t++) {
            GatedDeltaNet.l2norm(qk, t * 2 * dk, dk);
            GatedDeltaNet.l2norm(qk, t * 2 * dk + dk, dk);
            beta[t] = ScalarKernels.sigmoid((float) r.nextGaussian());
            g[t] = -(float) Math.exp(r.nextGaussian() - 2);
        }
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        float[] state = new float[dk * dv];
        float[] out = new float[tokens * dv];
        GatedDeltaNet.Workspace w = new GatedDeltaNet.Workspace(dk, dv);
        for (int round = 0; round < 5; round++) {
            long t0 = System.nanoTime();
            for (int h = 0; h < heads; h++) {
                for (int t0c = 0; t0c < tokens; t0c += GatedDeltaNet.CHUNK) {
                    int m = Math.min(GatedDeltaNet.CHUNK, tokens - t0c);
                    GatedDeltaNet.chunk(state, 0, dk, dv, m, qk, t0c * 2 * dk, t0c * 2 * dk + dk, 2 * dk, v, t0c * dv, dv,
                            beta, g, t0c, 1, out, t0c * dv, dv, w);
                }
            }
            long t1 = System.nanoTime();
            for (int h = 0; h < heads; h++) {
                for (int t = 0; t < tokens; t++) {
                    Kernels.deltaStep(state, 0, dk, dv, (float) Math.exp(g[t]), beta[t], qk, t * 2 * dk, qk, t * 2 * dk + dk,
                            v, t * dv, out, t * dv);
                }
            }
            long t2 = System.nanoTime();
            System.out.printf(Locale.ROOT, "delta rule, %d heads x %d tokens (dk=%d dv=%d), 1 thread: chunked %.2f ms, recurrent %.2f ms%n",
                    heads, tokens, dk, dv, (t1 - t0) / 1e6, (t2 - t1) / 1e6);
        }
    }
}
