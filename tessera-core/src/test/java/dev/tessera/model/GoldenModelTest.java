package dev.tessera.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.testing.GoldenCase;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Every tiny golden, three ways (one prefill, chunks of 5, token by token), teacher-forced and greedy. */
class GoldenModelTest {
    static final String[] CASES = {"llama-tiny", "granite-hybrid-tiny", "qwen35-tiny-tied", "qwen35-tiny-untied"};

    @TestFactory
    Stream<DynamicTest> goldens() {
        return Stream.of(CASES).flatMap(name -> {
            GoldenCase g = new GoldenCase(name);
            return Stream.of(Integer.MAX_VALUE, 5, 1).flatMap(chunk -> {
                String how = chunk == Integer.MAX_VALUE ? "one prefill" : chunk == 1 ? "token by token" : "chunks of " + chunk;
                return Stream.of(
                        DynamicTest.dynamicTest(name + " teacher-forced, " + how, () -> {
                            try (Model m = Models.load(g.dir, LoadOptions.defaults())) {
                                g.assertClose("teacher-forced", g.teacherForced(m, Math.min(chunk, g.inputIds.length)), g.logits);
                            }
                        }),
                        DynamicTest.dynamicTest(name + " greedy, prefill " + how, () -> {
                            try (Model m = Models.load(g.dir, LoadOptions.defaults())) {
                                int[] ids = new int[g.greedyIds.length];
                                float[][] steps = g.greedy(m, Math.min(chunk, g.inputIds.length), ids);
                                assertThat(ids).as(name + " greedy ids").containsExactly(g.greedyIds);
                                g.assertClose("greedy", steps, g.greedyLogits);
                            }
                        }));
            });
        });
    }
}
