package dev.tessera.model;

import dev.tessera.model.synthetic.Synthetic;
import java.util.Random;

/**
 * Prefill throughput of a Granite 4.0-H model: the chunked form (projections as matrix products over the chunk,
 * SSD scan) against feeding the prompt one token at a time, as reference ports do. Not a unit test: run it with the
 * test classpath,
 * {@code java --add-modules jdk.incubator.vector -cp ... dev.tessera.model.GranitePrefillBench [model] [promptLen] [tbtTokens]}.
 * Warms up first (the JIT must compile the vector kernels before a number means anything).
 */
public final class GranitePrefillBench {
    public static void main(String[] args) {
        String spec = args.length > 0 ? args[0] : "synthetic:granite-4.0-h-1b";
        int promptLen = args.length > 1 ? Integer.parseInt(args[1]) : 256;
        int tbtTokens = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : LoadOptions.defaults().threads();
        // With one thread, the calling thread's CPU time is the algorithmic cost even on a loaded machine.
        com.sun.management.ThreadMXBean bean =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        try (Model m = Models.load(spec, LoadOptions.defaults().withThreads(threads))) {
            int vocab = m.info().vocabSize();
            int[] ids = new int[promptLen];
            Random r = new Random(1);
            for (int i = 0; i < ids.length; i++) {
                ids[i] = 3 + r.nextInt(vocab - 6);
            }
            Logits last = Logits.last(vocab);
            System.out.printf("%s, %d threads, warming up...%n", spec, threads);
            ModelState warm = m.newState();
            m.forward(ids, 0, Math.min(64, promptLen), warm, last);
            for (int t = 0; t < 8; t++) {
                m.forward(ids, t, 1, warm, last);
            }
            for (int chunk : new int[] {promptLen, 64}) {
                for (boolean recurrent : new boolean[] {false, true}) {
                    if (recurrent && chunk != promptLen) {
                        continue;
                    }
                    GraniteHybrid.State s = (GraniteHybrid.State) m.newState();
                    s.setRecurrentScan(recurrent);
                    long cpu0 = bean.getCurrentThreadCpuTime();
                    long t0 = System.nanoTime();
                    for (int start = 0; start < promptLen; start += chunk) {
                        m.forward(ids, start, Math.min(chunk, promptLen - start), s, last);
                    }
                    double sec = (System.nanoTime() - t0) / 1e9;
                    double cpu = (bean.getCurrentThreadCpuTime() - cpu0) / 1e9;
                    System.out.printf("chunked prefill, %d tokens in chunks of %d, %s scan: %.2f s wall (%.1f tokens/s), "
                                    + "calling thread CPU %.2f s (%.1f tokens/s)%n",
                            promptLen, chunk, recurrent ? "recurrent" : "SSD", sec, promptLen / sec, cpu, promptLen / cpu);
                }
            }
            ModelState s = m.newState();
            long cpu0 = bean.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            for (int t = 0; t < tbtTokens; t++) {
                m.forward(ids, t, 1, s, last);
            }
            double sec = (System.nanoTime() - t0) / 1e9;
            double cpu = (bean.getCurrentThreadCpuTime() - cpu0) / 1e9;
            System.out.printf("token-by-token prefill, %d tokens: %.2f s wall (%.2f tokens/s), calling thread CPU %.2f s "
                    + "(%.2f tokens/s)%n", tbtTokens, sec, tbtTokens / sec, cpu, tbtTokens / cpu);
        }
    }
}
