package dev.tessera.model.layers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.model.state.ConvState;
import dev.tessera.model.state.SsmState;
import dev.tessera.tensor.Compute;
import dev.tessera.tensor.F32Matrix;
import dev.tessera.tensor.Matrix;
import dev.tessera.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Mamba2 mixer on random O(1) data against a float64 re-statement of the recurrence (ARCHITECTURES.md §2.3):
 * the chunked (SSD) form and the recurrent form, fed in many chunkings — one chunk, token by token, chunks that do
 * and do not divide the length or the SSD block, a first chunk shorter than K−1 — must all give the same outputs,
 * the same SSM state and the same conv window.
 */
class GraniteMixerTest {
    static final int T = 150; // crosses the SSD block boundaries at 64 and 128

    /** A mixer variant: shape, dt clamp and projection biases. */
    record Variant(String name, Mamba2Mixer.Shape shape, double dtMin, double dtMax, boolean projBias) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Variant> variants() {
        return List.of(
                new Variant("3 groups, K=4", new Mamba2Mixer.Shape(24, 6, 8, 3, 12, 4), 0, Double.POSITIVE_INFINITY, false),
                new Variant("1 group, K=3, P=20, clamp, bias", new Mamba2Mixer.Shape(40, 4, 20, 1, 9, 3), 0.05, 1.5, true),
                new Variant("2 groups, K=2, N=33", new Mamba2Mixer.Shape(16, 4, 8, 2, 33, 2), 0, Double.POSITIVE_INFINITY, false));
    }

    static final int[][] SPLITS = {
            {T}, {1}, {5}, {7}, {64}, {100}, {1, 149}, {2, 7}, {3, 64, 83}, {64, 64, 22}, {63, 2, 85}};

    /** Mixer weights in fp32 plus a float64 reference that uses exactly the same values. */
    static final class Fixture {
        final Mamba2Mixer.Shape sh;
        final float[] win, inBias, conv, convBias, dtBias, aLog, d, norm, wout, outBias;
        final double dtMin, dtMax;
        final Mamba2Mixer mixer;

        Fixture(Variant v, long seed) {
            sh = v.shape();
            Random r = new Random(seed);
            int h = sh.hidden(), proj = sh.projRows(), c = sh.convDim(), k = sh.kernel(), heads = sh.heads();
            win = uniform(r, proj * h, 1.0 / Math.sqrt(h));
            inBias = v.projBias() ? uniform(r, proj, 0.3) : null;
            conv = uniform(r, c * k, 1.0 / Math.sqrt(k));
            convBias = uniform(r, c, 0.2);
            dtBias = new float[heads];
            aLog = new float[heads];
            d = uniform(r, heads, 1.5);
            for (int i = 0; i < heads; i++) {
                dtBias[i] = (float) (-3 + 5 * r.nextDouble());          // dt from ~0.05 to ~2: strong decays too
                aLog[i] = (float) Math.log(0.5 + 8 * r.nextDouble());
            }
            norm = uniform(r, sh.dInner(), 1.0);
            for (int i = 0; i < norm.length; i++) {
                norm[i] += 1.2f;
            }
            wout = uniform(r, h * sh.dInner(), 1.0 / Math.sqrt(sh.dInner()));
            outBias = v.projBias() ? uniform(r, h, 0.3) : null;
            dtMin = v.dtMin();
            dtMax = v.dtMax();
            mixer = new Mamba2Mixer(sh, matrix("in", win, proj, h), inBias, conv, convBias, dtBias, aLog, d, dtMin, dtMax,
                    new GateThenNorm(norm, 1e-5), matrix("out", wout, h, sh.dInner()), outBias);
        }

        /** Float64 recurrence, token by token from a zero state; returns outputs and leaves the final states. */
        double[][] reference(float[] in, int n, double[][] stateOut, double[][] windowOut) {
            int h = sh.hidden(), proj = sh.projRows(), c = sh.convDim(), k = sh.kernel();
            int heads = sh.heads(), p = sh.headDim(), ns = sh.dState(), dIn = sh.dInner();
            double[][] s = new double[heads][p * ns];
            List<double[]> pre = new ArrayList<>();
            double[][] out = new double[n][h];
            for (int t = 0; t < n; t++) {
                double[] zx = new double[proj];
                for (int o = 0; o < proj; o++) {
                    double a = inBias == null ? 0 : inBias[o];
                    for (int i = 0; i < h; i++) {
                        a += (double) win[o * h + i] * in[t * h + i];
                    }
                    zx[o] = a;
                }
                double[] raw = new double[c];
                System.arraycopy(zx, dIn, raw, 0, c);
                pre.add(raw);
                double[] xbc = new double[c];
                for (int ch = 0; ch < c; ch++) {
                    double a = convBias[ch];
                    for (int j = 0; j < k; j++) {
                        int tau = t - (k - 1) + j;
                        a += tau < 0 ? 0 : conv[ch * k + j] * pre.get(tau)[ch];
                    }
                    xbc[ch] = a / (1 + Math.exp(-a));
                }
                double[] y = new double[dIn];
                for (int hd = 0; hd < heads; hd++) {
                    int g = hd / (heads / sh.groups());
                    double v = zx[dIn + c + hd] + dtBias[hd];
                    double dt = v > 20 ? v : Math.log1p(Math.exp(v));
                    dt = Math.min(Math.max(dt, dtMin), dtMax);
                    double dA = Math.exp(-Math.exp(aLog[hd]) * dt);
                    for (int pp = 0; pp < p; pp++) {
                        double x = xbc[hd * p + pp];
                        double acc = 0;
                        for (int nn = 0; nn < ns; nn++) {
                            int idx = pp * ns + nn;
                            s[hd][idx] = s[hd][idx] * dA + dt * xbc[sh.bOffset() + g * ns + nn] * x;
                            acc += s[hd][idx] * xbc[sh.cOffset() + g * ns + nn];
                        }
                        y[hd * p + pp] = acc + d[hd] * x;
                    }
                }
                double ss = 0;
                for (int i = 0; i < dIn; i++) {
                    double z = zx[i];
                    y[i] *= z / (1 + Math.exp(-z));
                    ss += y[i] * y[i];
                }
                double inv = 1 / Math.sqrt(ss / dIn + 1e-5);
                for (int o = 0; o < h; o++) {
                    double a = outBias == null ? 0 : outBias[o];
                    for (int i = 0; i < dIn; i++) {
                        a += (double) wout[o * dIn + i] * (norm[i] * y[i] * inv);
                    }
                    out[t][o] = a;
                }
            }
            for (int hd = 0; hd < heads; hd++) {
                stateOut[hd] = s[hd];
            }
            for (int j = 0; j < k - 1; j++) {
                int tau = n - (k - 1) + j;
                windowOut[j] = tau < 0 ? new double[c] : pre.get(tau);
            }
            return out;
        }
    }

    static float[] uniform(Random r, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        }
        return v;
    }

    static Matrix matrix(String name, float[] values, int rows, int cols) {
        MemorySegment seg = Arena.ofAuto().allocate((long) values.length * 4, 64);
        for (int i = 0; i < values.length; i++) {
            seg.setAtIndex(Tensor.FLOAT_LE, i, values[i]);
        }
        return new F32Matrix(name, rows, cols, seg);
    }

    static List<Object[]> cases() {
        List<Object[]> out = new ArrayList<>();
        for (Variant v : variants()) {
            for (int[] split : SPLITS) {
                out.add(new Object[] {v, split, false});
                out.add(new Object[] {v, split, true});
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0}, chunks {1}, recurrent {2}")
    @MethodSource("cases")
    void everyChunkingMatchesTheFloat64Recurrence(Variant v, int[] split, boolean recurrent) {
        Fixture f = new Fixture(v, 7);
        Mamba2Mixer.Shape sh = f.sh;
        float[] in = uniform(new Random(11), T * sh.hidden(), 1.0);
        double[][] refState = new double[sh.heads()][];
        double[][] refWindow = new double[sh.kernel() - 1][];
        double[][] ref = f.reference(in, T, refState, refWindow);

        ConvState conv = f.mixer.newConvState();
        SsmState ssm = f.mixer.newSsmState();
        Mamba2Mixer.Scratch scratch = new Mamba2Mixer.Scratch();
        float[] out = new float[T * sh.hidden()];
        float[] chunkIn = new float[T * sh.hidden()];
        float[] chunkOut = new float[T * sh.hidden()];
        try (Compute compute = new Compute(2)) {
            int start = 0;
            int i = 0;
            while (start < T) {
                // The split repeats its last size until the sequence is used up.
                int n = Math.min(split[Math.min(i++, split.length - 1)], T - start);
                System.arraycopy(in, start * sh.hidden(), chunkIn, 0, n * sh.hidden());
                f.mixer.forward(compute, chunkIn, n, conv, ssm, scratch, chunkOut, recurrent);
                System.arraycopy(chunkOut, 0, out, start * sh.hidden(), n * sh.hidden());
                start += n;
            }
        }
        double scale = 0, maxDiff = 0;
        for (int t = 0; t < T; t++) {
            for (int o = 0; o < sh.hidden(); o++) {
                scale = Math.max(scale, Math.abs(ref[t][o]));
                maxDiff = Math.max(maxDiff, Math.abs(out[t * sh.hidden() + o] - ref[t][o]));
            }
        }
        assertThat(maxDiff).as("max |Δ| of outputs vs float64 (scale " + scale + ")").isLessThan(2e-6 * scale);

        double sScale = 0, sDiff = 0;
        for (int h = 0; h < sh.heads(); h++) {
            for (int p = 0; p < sh.headDim(); p++) {
                for (int n = 0; n < sh.dState(); n++) {
                    double e = refState[h][p * sh.dState() + n];
                    sScale = Math.max(sScale, Math.abs(e));
                    sDiff = Math.max(sDiff, Math.abs(ssm.get(h, p, n) - e));
                }
            }
        }
        assertThat(sDiff).as("max |Δ| of the SSM state (scale " + sScale + ")").isLessThan(2e-6 * sScale);
        for (int j = 0; j < sh.kernel() - 1; j++) {
            for (int ch = 0; ch < sh.convDim(); ch++) {
                assertThat((double) conv.window()[j * sh.convDim() + ch]).as("conv window row " + j + " channel " + ch)
                        .isCloseTo(refWindow[j][ch], org.assertj.core.api.Assertions.within(1e-5 * (1 + Math.abs(refWindow[j][ch]))));
            }
        }
    }

    /**
     * The real 1b and 350m mixer shapes (48 heads × 64 or 32, N = 128, one group): the chunked form in one chunk and in
     * uneven chunks agrees with the token-by-token recurrence (outputs and state). Cheaper than a float64 reference
     * at these sizes; the float64 agreement of both forms is established above.
     */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {64, 32})
    void realShapesAgreeAcrossForms(int headDim) {
        int hidden = 48 * headDim / 2;
        Variant v = new Variant("P=" + headDim, new Mamba2Mixer.Shape(hidden, 48, headDim, 1, 128, 4), 0,
                Double.POSITIVE_INFINITY, false);
        Fixture f = new Fixture(v, 9);
        Mamba2Mixer.Shape sh = f.sh;
        int len = 100;
        float[] in = uniform(new Random(13), len * sh.hidden(), 1.0);
        float[][] outs = new float[3][];
        SsmState[] states = new SsmState[3];
        int[][] splits = {{1}, {len}, {2, 64, 34}};
        try (Compute compute = new Compute(2)) {
            for (int k = 0; k < 3; k++) {
                ConvState conv = f.mixer.newConvState();
                SsmState ssm = f.mixer.newSsmState();
                Mamba2Mixer.Scratch scratch = new Mamba2Mixer.Scratch();
                float[] out = new float[len * sh.hidden()];
                float[] chunkIn = new float[len * sh.hidden()];
                float[] chunkOut = new float[len * sh.hidden()];
                int start = 0;
                int i = 0;
                while (start < len) {
                    int n = Math.min(splits[k][Math.min(i++, splits[k].length - 1)], len - start);
                    System.arraycopy(in, start * sh.hidden(), chunkIn, 0, n * sh.hidden());
                    f.mixer.forward(compute, chunkIn, n, conv, ssm, scratch, chunkOut, false);
                    System.arraycopy(chunkOut, 0, out, start * sh.hidden(), n * sh.hidden());
                    start += n;
                }
                outs[k] = out;
                states[k] = ssm;
            }
        }
        for (int k = 1; k < 3; k++) {
            double scale = 0, diff = 0;
            for (int i = 0; i < outs[0].length; i++) {
                scale = Math.max(scale, Math.abs(outs[0][i]));
                diff = Math.max(diff, Math.abs(outs[k][i] - outs[0][i]));
            }
            assertThat(diff).as("outputs, chunking " + java.util.Arrays.toString(splits[k])).isLessThan(2e-6 * scale);
            float[] a = states[0].data(), b = states[k].data();
            double sScale = 0, sDiff = 0;
            for (int i = 0; i < a.length; i++) {
                sScale = Math.max(sScale, Math.abs(a[i]));
                sDiff = Math.max(sDiff, Math.abs(b[i] - a[i]));
            }
            assertThat(sDiff).as("SSM state, chunking " + java.util.Arrays.toString(splits[k])).isLessThan(2e-6 * sScale);
        }
    }
}
