package dev.tessera.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The hand-written matcher must find exactly what the general regex finds, on golden texts and random text. */
class GptSplitPatternTest {
    private static final String POOL = "aZé字ßſSKk'’ \t\n\r\u00A0\u3000\u2009\u0085\u000B\f0123٣５½Ⅻ.,!?-_\"()[]{}<>/\\@#$%^&*+=~`|;:"
            + "\u0301\u0308\u064E\u05B8\u0E31\u093F\u200B\u200D\uFE0F\uFFFD\u0000\u007F"
            + "\uD83D\uDE00\uD83D\uDC4D\uD83C\uDFFD\uD835\uDC00\uD800\uDF00"; // astral letters/emoji as pairs

    @Test
    void matchesTheRegexExactly() {
        List<String> texts = new ArrayList<>();
        for (String folder : GoldenCases.FOLDERS) {
            for (JsonNode c : GoldenCases.lines(folder, "cases.jsonl")) texts.add(c.get("text").asText());
        }
        Random rnd = new Random(42);
        int[] pool = POOL.codePoints().toArray();
        for (int i = 0; i < 3000; i++) {
            StringBuilder sb = new StringBuilder();
            int len = rnd.nextInt(40);
            for (int k = 0; k < len; k++) sb.appendCodePoint(pool[rnd.nextInt(pool.length)]);
            texts.add(sb.toString());
        }
        for (boolean marks : new boolean[] {false, true}) {
            for (int digits : new int[] {1, 3}) {
                String src = GptSplitPattern.source(marks, digits);
                GptSplitPattern fast = GptSplitPattern.forRegex(src).orElseThrow();
                Pattern regex = Regexes.compile(src, "test");
                for (String t : texts) {
                    assertThat(fast.matches(t)).as("%s on %s", src, t).containsExactly(PreTokenizer.regexMatches(regex, t));
                }
            }
        }
    }

    @Test
    void unknownPatternsAreNotClaimed() {
        assertThat(GptSplitPattern.forRegex("\\s+")).isEmpty();
        assertThat(GptSplitPattern.forRegex(GptSplitPattern.source(false, 3) + "|x")).isEmpty();
    }
}
