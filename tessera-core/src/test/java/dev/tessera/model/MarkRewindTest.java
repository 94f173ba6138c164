package dev.tessera.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.engine.Session;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Rewinding to a mark gives the state that never went past it, for every family (attention and recurrent layers). */
class MarkRewindTest {
    static int[] ids(Random r, int n, int vocab) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = r.nextInt(vocab);
        }
        return t;
    }

    @Test
    void rewindEqualsNeverHavingGonePastTheMark() {
        for (String preset : new String[] {"synthetic:llama-tiny", "synthetic:granite-tiny", "synthetic:qwen3.5-tiny"}) {
            try (Model m = Models.load(preset, LoadOptions.defaults().withThreads(1))) {
                int vocab = m.info().vocabSize();
                Random r = new Random(42);
                int[] a = ids(r, 70, vocab), b = ids(r, 9, vocab), c = ids(r, 6, vocab);
                Session s = new Session(m, 32);
                s.prefill(a);
                ModelState.Mark mark = s.state().mark(null);
                s.prefill(b);
                s.step(3);
                s.step(4);
                assertThat(s.state().rewind(mark)).isTrue();
                assertThat(s.position()).isEqualTo(a.length);
                s.prefill(c);
                float[] rewound = s.lastLogits().data().clone();

                Session fresh = new Session(m, 32);
                fresh.prefill(a);
                fresh.prefill(c);
                // Equal up to the lane-sum order the JIT may change while it compiles (see README, Tests).
                float[] expected = fresh.lastLogits().data();
                float scale = 0;
                for (int i = 0; i < vocab; i++) {
                    scale = Math.max(scale, Math.abs(expected[i]));
                }
                for (int i = 0; i < vocab; i++) {
                    assertThat(rewound[i]).as("%s logit %d", preset, i).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-5f * scale));
                }
                // A rewind that did not restore the recurrent states or shorten the caches is far off.
                Session skipped = new Session(m, 32);
                skipped.prefill(a);
                skipped.prefill(b);
                skipped.prefill(c);
                float worst = 0;
                for (int i = 0; i < vocab; i++) {
                    worst = Math.max(worst, Math.abs(skipped.lastLogits().data()[i] - expected[i]));
                }
                assertThat(worst).as(preset).isGreaterThan(1e-3f * scale);

                // The mark is spent once the sequence went back to it and grew again differently...
                assertThat(s.state().rewind(mark)).isFalse();
                // ...a new one works again, and neither a reset nor another state can use a mark.
                ModelState.Mark again = s.state().mark(mark);
                s.step(5);
                assertThat(fresh.state().rewind(again)).isFalse();
                s.reset();
                assertThat(s.state().rewind(again)).isFalse();
                assertThat(s.position()).isZero();
            }
        }
    }
}
