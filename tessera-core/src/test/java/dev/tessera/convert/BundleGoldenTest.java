package dev.tessera.convert;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.TesseraException;
import dev.tessera.io.Bundle;
import dev.tessera.io.QuantScheme;
import dev.tessera.model.LoadOptions;
import dev.tessera.model.Model;
import dev.tessera.model.Models;
import dev.tessera.testing.Golden;
import dev.tessera.testing.GoldenCase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bundles of every tiny golden whose architecture this build runs:
 * <ul>
 *   <li>bf16 bundle: the golden's own rules (the stored values are the same BF16/F32 values);</li>
 *   <li>int8hu / int4lin bundles: the same logits as the fp32 path on the dequantized weights (within
 *       1e-3·max|logit|, top-1 equal where the reference's top-2 margin is clear), plus the agreement numbers
 *       against HF's logits that docs/quantization.md reports.</li>
 * </ul>
 */
class BundleGoldenTest {
    static final String[] CASES = {"llama-tiny", "granite-hybrid-tiny", "qwen35-tiny-tied", "qwen35-tiny-untied"};

    @TempDir
    static Path tmp;

    /** Converts the golden checkpoint (weights only: the golden folder also holds expected.safetensors). */
    static Path convert(String name, QuantScheme scheme) {
        Path src = tmp.resolve("src-" + name);
        try {
            if (!Files.exists(src)) {
                Files.createDirectories(src);
                Files.copy(Golden.dir(name).resolve("config.json"), src.resolve("config.json"));
                Files.copy(Golden.dir(name).resolve("model.safetensors"), src.resolve("model.safetensors"));
            }
        } catch (java.io.IOException e) {
            throw new RuntimeException(e);
        }
        Path out = tmp.resolve(name + "-" + scheme.id());
        if (!Files.exists(out)) {
            new Converter(src.toString(), out, scheme, false, null).run();
        }
        return out;
    }

    static void assumeSupported(String name) {
        try (Model m = Models.load(Golden.dir(name), LoadOptions.defaults().withThreads(1))) {
            // runs here
        } catch (TesseraException.Unsupported e) {
            Assumptions.abort(name + ": architecture not in this build yet (" + e.getMessage() + ")");
        }
    }

    @TestFactory
    Stream<DynamicTest> goldens() {
        return Stream.of(CASES).flatMap(name -> Stream.of(
                DynamicTest.dynamicTest(name + ": bf16 bundle reproduces the golden", () -> {
                    assumeSupported(name);
                    GoldenCase g = new GoldenCase(name);
                    Path b = convert(name, QuantScheme.BF16);
                    try (Model m = Models.load(b, LoadOptions.defaults())) {
                        for (int chunk : new int[] {g.inputIds.length, 5, 1}) {
                            g.assertClose("bf16 bundle teacher-forced chunk " + chunk, g.teacherForced(m, chunk), g.logits);
                        }
                        int[] ids = new int[g.greedyIds.length];
                        float[][] steps = g.greedy(m, g.inputIds.length, ids);
                        assertThat(ids).containsExactly(g.greedyIds);
                        g.assertClose("bf16 bundle greedy", steps, g.greedyLogits);
                    }
                }),
                DynamicTest.dynamicTest(name + ": int8hu bundle = fp32 on its dequantized weights", () -> {
                    assumeSupported(name);
                    compareWithDequantized(name, QuantScheme.INT8HU);
                }),
                DynamicTest.dynamicTest(name + ": int4lin bundle = fp32 on its dequantized weights", () -> {
                    assumeSupported(name);
                    compareWithDequantized(name, QuantScheme.INT4LIN);
                })));
    }

    static void compareWithDequantized(String name, QuantScheme scheme) {
        GoldenCase g = new GoldenCase(name);
        Path b = convert(name, scheme);
        Bundle bundle = Bundle.open(b);
        float[][] q;
        float[][] ref;
        try (Model m = Models.load(b, LoadOptions.defaults())) {
            q = g.teacherForced(m, g.inputIds.length);
            float[][] tokenByToken = g.teacherForced(m, 1);
            assertThat(GoldenCase.maxAbsDiff(q, tokenByToken)).as("prefill vs token by token").isLessThanOrEqualTo(1e-4f * g.scale());
        }
        try (Model d = Models.build(bundle.config(), new BundleFixtures.Dequantized(bundle.openWeights()), LoadOptions.defaults())) {
            ref = g.teacherForced(d, g.inputIds.length);
        }
        float scale = 0;
        for (float[] r : ref) {
            for (float x : r) {
                scale = Math.max(scale, Math.abs(x));
            }
        }
        assertThat(GoldenCase.maxAbsDiff(q, ref)).as(name + " " + scheme + " vs dequantized fp32").isLessThanOrEqualTo(1e-3f * scale);
        for (int t = 0; t < ref.length; t++) {
            float[] sorted = ref[t].clone();
            java.util.Arrays.sort(sorted);
            float margin = sorted[sorted.length - 1] - sorted[sorted.length - 2];
            if (margin > 1e-3f * scale) {
                assertThat(GoldenCase.argmax(q[t])).as(name + " " + scheme + " top-1 at row " + t).isEqualTo(GoldenCase.argmax(ref[t]));
            }
        }
        // The measurement of docs/quantization.md: agreement with HF's fp32 logits on the original weights.
        int agree = 0;
        double worst = 1;
        for (int t = 0; t < g.logits.length; t++) {
            agree += GoldenCase.argmax(q[t]) == GoldenCase.argmax(g.logits[t]) ? 1 : 0;
            worst = Math.min(worst, GoldenCase.cosine(q[t], g.logits[t]));
        }
        System.out.printf(Locale.ROOT, "QUANT-AGREEMENT %s %s: top-1 %d/%d (%.1f%%), worst cosine %.6f, max|dlogit| vs HF %.4f (scale %.3f)%n",
                name, scheme, agree, g.logits.length, 100.0 * agree / g.logits.length, worst,
                GoldenCase.maxAbsDiff(q, g.logits), g.scale());
    }
}
