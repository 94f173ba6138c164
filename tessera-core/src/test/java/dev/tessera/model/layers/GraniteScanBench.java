package dev.tessera.model.layers;

import dev.tessera.model.state.ConvState;
import dev.tessera.model.state.SsmState;
import dev.tessera.tensor.Compute;
import dev.tessera.tensor.Matrix;
import java.util.Random;

/**
 * Where a Mamba2 layer's prefill time goes, at the Granite 4.0-H-1B mixer shape: the whole layer (projections, conv,
 * scan, norm) in the SSD form and in the recurrent form, against the two projections alone. Not a unit test: run with
 * the test classpath, {@code ... dev.tessera.model.layers.GraniteScanBench [chunk] [threads]}.
 */
public final class GraniteScanBench {
    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        Mamba2Mixer.Shape sh = new Mamba2Mixer.Shape(1536, 48, 64, 1, 128, 4);
        GraniteMixerTest.Variant v = new GraniteMixerTest.Variant("1b", sh, 0, Double.POSITIVE_INFINITY, false);
        GraniteMixerTest.Fixture f = new GraniteMixerTest.Fixture(v, 3);
        Matrix in = GraniteMixerTest.matrix("in", f.win, sh.projRows(), sh.hidden());
        Matrix out = GraniteMixerTest.matrix("out", f.wout, sh.hidden(), sh.dInner());
        float[] x = GraniteMixerTest.uniform(new Random(1), n * sh.hidden(), 1.0);
        float[] y = new float[n * sh.hidden()];
        float[] zx = new float[n * sh.projRows()];
        Mamba2Mixer.Scratch s = new Mamba2Mixer.Scratch();
        try (Compute c = new Compute(threads)) {
            for (int round = 0; round < 3; round++) {
                for (int mode = 0; mode < 3; mode++) {
                    ConvState conv = f.mixer.newConvState();
                    SsmState ssm = f.mixer.newSsmState();
                    int reps = 5;
                    long t0 = System.nanoTime();
                    for (int i = 0; i < reps; i++) {
                        if (mode == 2) {
                            c.matmul(in, x, 0, sh.hidden(), n, zx, 0, sh.projRows());
                            c.matmul(out, zx, 0, sh.dInner(), n, y, 0, sh.hidden());
                        } else {
                            f.mixer.forward(c, x, n, conv, ssm, s, y, mode == 1);
                        }
                    }
                    double ms = (System.nanoTime() - t0) / 1e6 / reps;
                    if (round == 2) {
                        System.out.printf("chunk %d, %s: %.1f ms per layer (wall)%n", n,
                                mode == 0 ? "whole mixer, SSD scan" : mode == 1 ? "whole mixer, recurrent scan" : "in_proj + out_proj only", ms);
                    }
                }
            }
            // The scan alone, on the buffers the last forward filled; CPU time of this thread (threads = 1 gives the
            // algorithmic cost even on a loaded machine).
            com.sun.management.ThreadMXBean bean =
                    (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
            ConvState conv = f.mixer.newConvState();
            SsmState ssm = f.mixer.newSsmState();
            f.mixer.forward(c, x, n, conv, ssm, s, y, false);
            Mamba2Mixer.Task task = s.task;
            int blocks = (n + Mamba2Mixer.BLOCK - 1) / Mamba2Mixer.BLOCK;
            for (int round = 0; round < 3; round++) {
                for (int mode = 0; mode < 2; mode++) {
                    int reps = 20;
                    long cpu0 = bean.getCurrentThreadCpuTime();
                    long t0 = System.nanoTime();
                    for (int i = 0; i < reps; i++) {
                        ssm.clear();
                        if (mode == 0) {
                            c.forRange(blocks * sh.groups(), task.phase(Mamba2Mixer.Task.CB));
                            c.forRange(sh.heads(), task.phase(Mamba2Mixer.Task.SSD));
                        } else {
                            c.forRange(sh.heads(), task.phase(Mamba2Mixer.Task.RECURRENT));
                        }
                    }
                    double wall = (System.nanoTime() - t0) / 1e6 / reps;
                    double cpu = (bean.getCurrentThreadCpuTime() - cpu0) / 1e6 / reps;
                    if (round == 2) {
                        System.out.printf("chunk %d, scan only, %s: %.2f ms wall, %.2f ms CPU of the calling thread%n", n,
                                mode == 0 ? "SSD" : "recurrent", wall, cpu);
                    }
                }
            }
        }
    }
}
