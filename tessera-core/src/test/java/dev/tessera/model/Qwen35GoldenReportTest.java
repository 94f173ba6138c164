package dev.tessera.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.testing.GoldenCase;
import org.junit.jupiter.api.Test;

/** Prints max |Δlogit| against HF for every feeding mode of both Qwen3.5 goldens (the numbers for docs/qwen35.md). */
class Qwen35GoldenReportTest {
    @Test
    void report() {
        for (String name : Qwen35ModelTest.CASES) {
            GoldenCase g = new GoldenCase(name);
            try (Model m = Models.load(g.dir, LoadOptions.defaults())) {
                StringBuilder sb = new StringBuilder(name + String.format(" (max|logit| %.4f):", g.scale()));
                for (int chunk : new int[] {g.inputIds.length, 5, 1}) {
                    float tf = GoldenCase.maxAbsDiff(g.teacherForced(m, chunk), g.logits);
                    int[] ids = new int[g.greedyIds.length];
                    float gr = GoldenCase.maxAbsDiff(g.greedy(m, chunk, ids), g.greedyLogits);
                    assertThat(ids).containsExactly(g.greedyIds);
                    String how = chunk == 1 ? "token by token" : chunk == 5 ? "chunks of 5" : "one prefill";
                    sb.append(String.format(" [%s: teacher-forced %.3e, greedy %.3e]", how, tf, gr));
                    assertThat(Math.max(tf, gr)).isLessThanOrEqualTo(1e-3f * g.scale());
                }
                System.out.println("QWEN35-GOLDEN " + sb);
            }
        }
    }
}
