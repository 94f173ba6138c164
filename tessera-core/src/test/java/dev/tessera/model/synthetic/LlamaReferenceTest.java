package dev.tessera.model.synthetic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.io.HfConfig;
import dev.tessera.model.LoadOptions;
import dev.tessera.model.Logits;
import dev.tessera.model.Model;
import dev.tessera.model.Models;
import dev.tessera.tensor.DType;
import dev.tessera.testing.GoldenCase;
import org.junit.jupiter.api.Test;

/**
 * The engine's Llama against a plain double-precision transcription of ARCHITECTURES.md §1.3, on a random model
 * whose GQA group is 5 (Nanbeige's, not a power of two) and whose head is untied.
 */
class LlamaReferenceTest {
    @Test
    void matchesTextbookForwardWithGroupOfFive() {
        Preset p = LlamaPresets.preset("gqa5", "test", 96, 40, 72, 2, 10, 2, 8, 1e-5, 7.0e7, 512, false, 1, 2);
        SyntheticWeights w = new SyntheticWeights(p, 99, DType.F32);
        int[] tokens = {5, 17, 3, 90, 44, 44, 12, 0, 63};
        try (Model m = Models.build(new HfConfig(p.config(), "test"), w, LoadOptions.defaults().withThreads(2))) {
            Logits out = Logits.all(96, tokens.length);
            m.forward(tokens, m.newState(), out);
            double[][] ref = reference(w, tokens, 40, 72, 2, 10, 2, 8, 1e-5, 7.0e7, 96);
            for (int t = 0; t < tokens.length; t++) {
                float[] row = out.row(t);
                double maxAbs = 0;
                for (double v : ref[t]) {
                    maxAbs = Math.max(maxAbs, Math.abs(v));
                }
                for (int i = 0; i < 96; i++) {
                    assertThat((double) row[i]).as("t=%d i=%d", t, i).isCloseTo(ref[t][i],
                            org.assertj.core.api.Assertions.within(1e-4 * maxAbs + 1e-7));
                }
                float[] refF = new float[96];
                for (int i = 0; i < 96; i++) {
                    refF[i] = (float) ref[t][i];
                }
                assertThat(GoldenCase.argmax(row)).isEqualTo(GoldenCase.argmax(refF));
            }
        }
    }

    static double[] mat(SyntheticWeights w, String name) {
        float[] f = w.tensor(name).toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    static double[] matvec(double[] w, double[] x, int rows, int cols) {
        double[] y = new double[rows];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int c = 0; c < cols; c++) {
                s += w[r * cols + c] * x[c];
            }
            y[r] = s;
        }
        return y;
    }

    static double[] rms(double[] x, double[] w, double eps) {
        double ss = 0;
        for (double v : x) {
            ss += v * v;
        }
        double inv = 1 / Math.sqrt(ss / x.length + eps);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = w[i] * x[i] * inv;
        }
        return y;
    }

    static void rope(double[] v, int off, int d, int pos, double theta) {
        for (int i = 0; i < d / 2; i++) {
            float invf = 1.0f / (float) Math.pow(theta, (float) (2 * i) / (float) d);
            float angle = (float) pos * invf;
            double c = Math.cos(angle), s = Math.sin(angle);
            double a = v[off + i], b = v[off + i + d / 2];
            v[off + i] = a * c - b * s;
            v[off + i + d / 2] = b * c + a * s;
        }
    }

    static double[][] reference(SyntheticWeights w, int[] tokens, int h, int inter, int layers, int hq, int hkv, int d,
                                double eps, double theta, int vocab) {
        int n = tokens.length;
        double[] emb = mat(w, "model.embed_tokens.weight");
        double[][] x = new double[n][h];
        for (int t = 0; t < n; t++) {
            System.arraycopy(emb, tokens[t] * h, x[t], 0, h);
        }
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            double[] wq = mat(w, p + "self_attn.q_proj.weight"), wk = mat(w, p + "self_attn.k_proj.weight");
            double[] wv = mat(w, p + "self_attn.v_proj.weight"), wo = mat(w, p + "self_attn.o_proj.weight");
            double[] ln1 = mat(w, p + "input_layernorm.weight"), ln2 = mat(w, p + "post_attention_layernorm.weight");
            double[] wg = mat(w, p + "mlp.gate_proj.weight"), wu = mat(w, p + "mlp.up_proj.weight"), wd = mat(w, p + "mlp.down_proj.weight");
            double[][] q = new double[n][], k = new double[n][], v = new double[n][];
            for (int t = 0; t < n; t++) {
                double[] a = rms(x[t], ln1, eps);
                q[t] = matvec(wq, a, hq * d, h);
                k[t] = matvec(wk, a, hkv * d, h);
                v[t] = matvec(wv, a, hkv * d, h);
                for (int hh = 0; hh < hq; hh++) {
                    rope(q[t], hh * d, d, t, theta);
                }
                for (int hh = 0; hh < hkv; hh++) {
                    rope(k[t], hh * d, d, t, theta);
                }
            }
            for (int t = 0; t < n; t++) {
                double[] o = new double[hq * d];
                for (int hh = 0; hh < hq; hh++) {
                    int j = hh / (hq / hkv);
                    double[] s = new double[t + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int u = 0; u <= t; u++) {
                        double dot = 0;
                        for (int i = 0; i < d; i++) {
                            dot += q[t][hh * d + i] * k[u][j * d + i];
                        }
                        s[u] = dot / Math.sqrt(d);
                        max = Math.max(max, s[u]);
                    }
                    double sum = 0;
                    for (int u = 0; u <= t; u++) {
                        s[u] = Math.exp(s[u] - max);
                        sum += s[u];
                    }
                    for (int u = 0; u <= t; u++) {
                        for (int i = 0; i < d; i++) {
                            o[hh * d + i] += s[u] / sum * v[u][j * d + i];
                        }
                    }
                }
                double[] ao = matvec(wo, o, h, hq * d);
                for (int i = 0; i < h; i++) {
                    x[t][i] += ao[i];
                }
                double[] m = rms(x[t], ln2, eps);
                double[] g = matvec(wg, m, inter, h), up = matvec(wu, m, inter, h);
                for (int i = 0; i < inter; i++) {
                    g[i] = g[i] / (1 + Math.exp(-g[i])) * up[i];
                }
                double[] dn = matvec(wd, g, h, inter);
                for (int i = 0; i < h; i++) {
                    x[t][i] += dn[i];
                }
            }
        }
        double[] fn = mat(w, "model.norm.weight");
        double[] head = mat(w, "lm_head.weight");
        double[][] logits = new double[n][];
        for (int t = 0; t < n; t++) {
            logits[t] = matvec(head, rms(x[t], fn, eps), vocab, h);
        }
        return logits;
    }
}
