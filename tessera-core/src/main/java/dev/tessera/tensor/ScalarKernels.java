package dev.tessera.tensor;

/**
 * Plain-loop reference versions of the kernels: the specification that {@link Kernels} is tested against, and the
 * exact scalar functions (torch semantics) the models use directly.
 */
public final class ScalarKernels {
    private ScalarKernels() {}

    public static float sigmoid(float x) {
        return (float) (1.0 / (1.0 + Math.exp(-x)));
    }

    public static float silu(float x) {
        return x * sigmoid(x);
    }

    /** torch.nn.functional.softplus with beta 1 and threshold 20. */
    public static float softplus(float x) {
        return x > 20f ? x : (float) Math.log1p(Math.exp(x));
    }

    public static float dot(Matrix w, int row, float[] x, int xOff) {
        float[] r = new float[w.cols()];
        w.row(row, r, 0);
        float s = 0;
        for (int c = 0; c < r.length; c++) {
            s += r[c] * x[xOff + c];
        }
        return s;
    }

    /** Reference matvec: widen each row, multiply, sum in order. */
    public static void matvec(Matrix w, float[] x, int xOff, float[] out, int outOff) {
        for (int r = 0; r < w.rows(); r++) {
            out[outOff + r] = dot(w, r, x, xOff);
        }
    }

    public static void rmsNorm(float[] x, int xOff, float[] w, boolean onePlusWeight, float eps, float[] out, int outOff, int n) {
        float ss = 0;
        for (int i = 0; i < n; i++) {
            ss += x[xOff + i] * x[xOff + i];
        }
        float inv = (float) (1.0 / Math.sqrt(ss / n + eps));
        for (int i = 0; i < n; i++) {
            float wv = onePlusWeight ? 1f + w[i] : w[i];
            out[outOff + i] = wv * (x[xOff + i] * inv);
        }
    }

    public static void softmax(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[off + i]);
        }
        float sum = 0;
        for (int i = 0; i < n; i++) {
            x[off + i] = (float) Math.exp(x[off + i] - max);
            sum += x[off + i];
        }
        for (int i = 0; i < n; i++) {
            x[off + i] /= sum;
        }
    }

    public static void silu(float[] x, int off, int n) {
        for (int i = 0; i < n; i++) {
            x[off + i] = silu(x[off + i]);
        }
    }

    public static int argmax(float[] x, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (x[off + i] > x[off + best] || (Float.isNaN(x[off + best]) && !Float.isNaN(x[off + i]))) {
                best = i;
            }
        }
        return best;
    }

    public static void rope(float[] x, int off, float[] cos, float[] sin, int halfRotary) {
        for (int i = 0; i < halfRotary; i++) {
            float a = x[off + i];
            float b = x[off + halfRotary + i];
            x[off + i] = a * cos[i] - b * sin[i];
            x[off + halfRotary + i] = b * cos[i] + a * sin[i];
        }
    }

    public static void mulAdd(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] += a[aOff + i] * b[bOff + i];
        }
    }

    public static void decayUpdate(float[] s, int sOff, float decay, float b, float[] x, int xOff, int n) {
        for (int i = 0; i < n; i++) {
            float bx = b * x[xOff + i];
            s[sOff + i] = s[sOff + i] * decay + bx;
        }
    }

    public static void decayRow(float[] cb, int cbOff, float[] seg, int segOff, float[] dt, int dtOff, float[] out, int outOff, int n) {
        for (int j = 0; j < n; j++) {
            out[outOff + j] = cb[cbOff + j] * flushNegligible((float) Math.exp(seg[segOff + j])) * dt[dtOff + j];
        }
    }

    /** See {@link Kernels#NEGLIGIBLE}. */
    public static final float NEGLIGIBLE = 1e-30f;

    /** v, or 0 when |v| is below {@link #NEGLIGIBLE} (keeps decay factors out of the slow subnormal range). */
    public static float flushNegligible(float v) {
        return Math.abs(v) < NEGLIGIBLE ? 0f : v;
    }

    public static void weightedRows(float beta, float[] out, int outOff, int width, float[] coef, int coefOff, int rows,
                                    float[] m, int mOff, int stride) {
        for (int p = 0; p < width; p++) {
            float a = beta == 0f ? 0f : out[outOff + p] * beta;
            for (int r = 0; r < rows; r++) {
                a += coef[coefOff + r] * m[mOff + r * stride + p];
            }
            out[outOff + p] = a;
        }
    }

    public static void weightedRows4(float beta, float[] out, int outOff, int outStride, int width, float[] coef, int coefOff,
                                     int coefStride, int rows, float[] m, int mOff, int stride) {
        for (int u = 0; u < 4; u++) {
            weightedRows(beta, out, outOff + u * outStride, width, coef, coefOff + u * coefStride, rows, m, mOff, stride);
        }
    }


    public static void sigmoidMul(float[] gate, int gOff, float[] x, int xOff, int n) {
        for (int i = 0; i < n; i++) {
            x[xOff + i] *= sigmoid(gate[gOff + i]);
        }
    }

    public static void gemm(float[] a, int aOff, int aStride, int rows, int kdim,
                            float[] b, int bOff, int bStride, int cols,
                            float[] c, int cOff, int cStride, boolean accumulate) {
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                float s = accumulate ? c[cOff + i * cStride + j] : 0f;
                for (int k = 0; k < kdim; k++) {
                    s += a[aOff + i * aStride + k] * b[bOff + k * bStride + j];
                }
                c[cOff + i * cStride + j] = s;
            }
        }
    }

    /** The gated delta rule for one token and one value head, written exactly as the recurrence reads. */
    public static void deltaStep(float[] s, int sOff, int dk, int dv, float decay, float beta,
                                 float[] q, int qOff, float[] k, int kOff, float[] v, int vOff, float[] out, int outOff) {
        for (int i = 0; i < dk * dv; i++) {
            s[sOff + i] *= decay;
        }
        float[] d = new float[dv];
        for (int c = 0; c < dv; c++) {
            float mem = 0f;
            for (int r = 0; r < dk; r++) {
                mem += s[sOff + r * dv + c] * k[kOff + r];
            }
            d[c] = (v[vOff + c] - mem) * beta;
        }
        for (int r = 0; r < dk; r++) {
            for (int c = 0; c < dv; c++) {
                s[sOff + r * dv + c] += k[kOff + r] * d[c];
            }
        }
        for (int c = 0; c < dv; c++) {
            float acc = 0f;
            for (int r = 0; r < dk; r++) {
                acc += s[sOff + r * dv + c] * q[qOff + r];
            }
            out[outOff + c] = acc;
        }
    }

    public static void expDiff(float[] c, int i, float[] out, int outOff) {
        for (int j = 0; j <= i; j++) {
            out[outOff + j] = (float) Math.exp(c[i] - c[j]);
        }
    }
}
