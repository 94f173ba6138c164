package dev.tessera.gate;

import dev.tessera.TesseraException;
import dev.tessera.engine.Session;
import dev.tessera.model.Model;
import dev.tessera.model.ModelState;
import dev.tessera.tensor.Kernels;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The numerics gate: proves a bundle against an fp32 reference with a ladder of checks, all counted in logit
 * margins (top-1 logit minus top-2 logit of the reference):
 * <ol>
 *   <li>prompt validity — the reference's greedy continuation and its margins; a prompt with a margin below the
 *       floor anywhere is rejected unless ties are allowed;</li>
 *   <li>teacher-forced sweep over prompt + reference continuation: top-1 agreement, cosine, max |Δlogit|;</li>
 *   <li>seeded decode step: the reference's state after the prompt, copied into a bundle session, one step;</li>
 *   <li>free run: greedy decode with the bundle through the real engine path, compared with the reference.</li>
 * </ol>
 * A disagreement where the reference margin is below the floor is a tie (only with ties allowed); any other
 * disagreement fails.
 */
public final class Gate {
    public enum Verdict {
        PASS,
        PASS_TIE,
        FAIL,
        REJECTED
    }

    public record Settings(int genTokens, double marginFloor, boolean allowTies, int chunkSize) {}

    /** The reference half of one prompt: what the fp32 model does, enough to recheck a bundle later. */
    public record Reference(int[] prompt, int[] continuation, float[] margins, float[] probMargins, int[] top1,
                            float[][] logits) {
        public int[] sequence() {
            int[] s = new int[prompt.length + continuation.length];
            System.arraycopy(prompt, 0, s, 0, prompt.length);
            System.arraycopy(continuation, 0, s, prompt.length, continuation.length);
            return s;
        }

        public float minMargin() {
            float m = Float.POSITIVE_INFINITY;
            for (float v : margins) {
                m = Math.min(m, v);
            }
            return m;
        }
    }

    /** One position of the teacher-forced sweep. */
    public record Position(int index, int referenceTop1, int bundleTop1, float margin, double cosine, double maxAbsDelta,
                           String outcome) {}

    public record PromptResult(Reference reference, List<Position> sweep, String seededOutcome, int[] bundleContinuation,
                               int firstDivergence, String freeRunOutcome, Verdict verdict, String reason) {}

    private final Settings settings;
    private final Consumer<String> log;

    public Gate(Settings settings, Consumer<String> log) {
        this.settings = settings;
        this.log = log;
    }

    public Settings settings() {
        return settings;
    }

    /** Runs the reference half for one prompt: teacher-forced logits over prompt + greedy continuation. */
    public Reference reference(Model ref, int[] prompt) {
        int vocab = ref.info().vocabSize();
        Session s = new Session(ref, settings.chunkSize());
        s.prefill(prompt);
        int[] cont = new int[settings.genTokens()];
        for (int k = 0; k < cont.length; k++) {
            cont[k] = Kernels.argmax(s.lastLogits().data(), 0, vocab);
            if (k + 1 < cont.length) {
                s.step(cont[k]);
            }
        }
        // Teacher-forced logits over the whole sequence, as one pass of the reference (row t predicts t+1).
        int[] seq = new int[prompt.length + cont.length];
        System.arraycopy(prompt, 0, seq, 0, prompt.length);
        System.arraycopy(cont, 0, seq, prompt.length, cont.length);
        float[][] rows = teacherForced(ref, seq);
        int n = seq.length - 1; // the last row predicts past the continuation: not checked
        float[] margins = new float[n];
        float[] probMargins = new float[n];
        int[] top1 = new int[n];
        for (int t = 0; t < n; t++) {
            float[] r = rows[t];
            int a = argmax(r);
            int b = second(r, a);
            top1[t] = a;
            margins[t] = r[a] - r[b];
            probMargins[t] = probMargin(r, a, b);
        }
        float[][] kept = new float[n][];
        System.arraycopy(rows, 0, kept, 0, n);
        return new Reference(prompt, cont, margins, probMargins, top1, kept);
    }

    /** Runs the bundle half against a reference. {@code ref} may be null (recheck): the seeded step is skipped. */
    public PromptResult check(Model bundle, Model ref, Reference r) {
        float floor = (float) settings.marginFloor();
        if (r.minMargin() < floor && !settings.allowTies()) {
            return new PromptResult(r, List.of(), "skipped", new int[0], -1, "skipped", Verdict.REJECTED,
                    String.format(java.util.Locale.ROOT, "reference top-2 margin %.4f < floor %.4f (logits): "
                            + "the prompt is a near-tie; choose another prompt or pass --allow-ties", r.minMargin(), floor));
        }
        boolean fail = false;
        boolean tie = false;
        String reason = null;
        // Teacher-forced sweep.
        int[] seq = r.sequence();
        float[][] rows = teacherForced(bundle, seq);
        List<Position> sweep = new ArrayList<>();
        for (int t = 0; t < r.margins().length; t++) {
            int bt = argmax(rows[t]);
            double cos = r.logits() == null ? Double.NaN : cosine(rows[t], r.logits()[t]);
            double delta = r.logits() == null ? Double.NaN : maxAbs(rows[t], r.logits()[t]);
            String outcome = "ok";
            if (bt != r.top1()[t]) {
                if (r.margins()[t] < floor) {
                    outcome = "tie";
                    tie = true;
                } else {
                    outcome = "FAIL";
                    if (!fail) {
                        reason = String.format(java.util.Locale.ROOT, "teacher-forced position %d: bundle top-1 %d, "
                                + "reference %d with a clear margin of %.4f", t, bt, r.top1()[t], r.margins()[t]);
                    }
                    fail = true;
                }
            }
            sweep.add(new Position(t, r.top1()[t], bt, r.margins()[t], cos, delta, outcome));
        }
        // Seeded decode step: the reference state after the prompt, one bundle step on the first continuation token.
        String seeded = "skipped";
        if (ref != null && r.continuation().length >= 2) {
            Session rs = new Session(ref, settings.chunkSize());
            rs.prefill(r.prompt());
            Session bs = new Session(bundle, settings.chunkSize());
            ModelState copy = rs.state();
            try {
                bs.state().restore(copy);
                bs.step(r.continuation()[0]);
                int got = argmax(bs.lastLogits().row(0));
                int pos = r.prompt().length;
                int want = r.top1()[pos];
                if (got == want) {
                    seeded = "ok";
                } else if (r.margins()[pos] < floor) {
                    seeded = "tie";
                    tie = true;
                } else {
                    seeded = "FAIL";
                    if (!fail) {
                        reason = "seeded decode step: bundle chose " + got + ", reference " + want;
                    }
                    fail = true;
                }
            } catch (ClassCastException | IllegalArgumentException e) {
                seeded = "skipped (bundle state is not compatible with the reference's)";
            }
        }
        // Free run through the real engine path: chunked prefill, then S=1 greedy steps.
        int vocab = bundle.info().vocabSize();
        Session s = new Session(bundle, settings.chunkSize());
        s.prefill(r.prompt());
        int[] got = new int[r.continuation().length];
        for (int k = 0; k < got.length; k++) {
            got[k] = Kernels.argmax(s.lastLogits().data(), 0, vocab);
            if (k + 1 < got.length) {
                s.step(got[k]);
            }
        }
        int first = -1;
        for (int k = 0; k < got.length; k++) {
            if (got[k] != r.continuation()[k]) {
                first = k;
                break;
            }
        }
        String free;
        if (first < 0) {
            free = "PASS";
        } else if (r.margins()[r.prompt().length - 1 + first] < floor) {
            free = "PASS_TIE";
            tie = true;
        } else {
            free = "FAIL";
            if (!fail) {
                reason = String.format(java.util.Locale.ROOT, "free run diverges at generated token %d: bundle %d, "
                        + "reference %d (reference margin %.4f)", first, got[first], r.continuation()[first],
                        r.margins()[r.prompt().length - 1 + first]);
            }
            fail = true;
        }
        Verdict v = fail ? Verdict.FAIL : tie ? Verdict.PASS_TIE : Verdict.PASS;
        log.accept("gate: prompt of " + r.prompt().length + " tokens: " + v + (reason == null ? "" : " — " + reason));
        return new PromptResult(r, sweep, seeded, got, first, free, v, reason);
    }

    public static Verdict overall(List<PromptResult> results) {
        boolean tie = false;
        for (PromptResult p : results) {
            if (p.verdict() == Verdict.REJECTED) {
                return Verdict.REJECTED;
            }
        }
        for (PromptResult p : results) {
            if (p.verdict() == Verdict.FAIL) {
                return Verdict.FAIL;
            }
            tie |= p.verdict() == Verdict.PASS_TIE;
        }
        return tie ? Verdict.PASS_TIE : Verdict.PASS;
    }

    float[][] teacherForced(Model m, int[] seq) {
        if (seq.length > m.info().contextLength()) {
            throw new TesseraException.InvalidInput("prompt + continuation (" + seq.length
                    + " tokens) exceed the context length of " + m.info().contextLength());
        }
        Session s = new Session(m, settings.chunkSize());
        float[][] rows = new float[seq.length][];
        s.prefill(seq, 0, seq.length, rows);
        return rows;
    }

    static int argmax(float[] v) {
        return Kernels.argmax(v, 0, v.length);
    }

    static int second(float[] v, int top) {
        int best = top == 0 ? 1 : 0;
        for (int i = 0; i < v.length; i++) {
            if (i != top && v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    static float probMargin(float[] v, int a, int b) {
        double max = v[a];
        double sum = 0;
        for (float x : v) {
            sum += Math.exp(x - max);
        }
        return (float) ((1 - Math.exp(v[b] - max)) / sum);
    }

    static double cosine(float[] a, float[] b) {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        return ab / Math.sqrt(aa * bb);
    }

    static double maxAbs(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
