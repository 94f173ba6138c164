package dev.tessera.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.TesseraException;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StopStringsTest {
    @Test
    void aStopStringSplitAcrossPiecesIsNeverEmitted() {
        StopStrings s = new StopStrings(List.of("lo w"));
        assertThat(s.push("Hel")).isEqualTo("He");  // "l" may start "lo w"
        assertThat(s.push("lo wor")).isEqualTo("l");
        assertThat(s.stopped()).isTrue();
        assertThat(s.push("ld")).isEmpty();
        assertThat(s.flush()).isEmpty();
    }

    @Test
    void theEarliestOfSeveralStopsWins() {
        StopStrings s = new StopStrings(List.of("END", "\n\n"));
        assertThat(s.push("a\n\nb END")).isEqualTo("a");
        assertThat(s.stopped()).isTrue();
    }

    @Test
    void heldBackTextIsReleasedWhenItDoesNotBecomeAStop() {
        StopStrings s = new StopStrings(List.of("</answer>"));
        assertThat(s.push("x </ans")).isEqualTo("x ");
        assertThat(s.push("wer")).isEmpty();
        assertThat(s.push("s")).isEqualTo("</answers");
        assertThat(s.push("</")).isEmpty();
        assertThat(s.flush()).isEqualTo("</");
        assertThat(s.stopped()).isFalse();
    }

    @Test
    void withoutStopsEverythingPassesAtOnce() {
        StopStrings s = new StopStrings(List.of());
        assertThat(s.push("abc")).isEqualTo("abc");
        assertThat(s.flush()).isEmpty();
    }

    @Test
    void matchesWhatCuttingTheWholeTextGivesForAnySplit() {
        Random r = new Random(3);
        String alphabet = "ab\n";
        for (int trial = 0; trial < 2000; trial++) {
            StringBuilder text = new StringBuilder();
            int len = r.nextInt(20);
            for (int i = 0; i < len; i++) {
                text.append(alphabet.charAt(r.nextInt(alphabet.length())));
            }
            List<String> stops = List.of("aab", "b\nb", "bbb");
            String whole = text.toString();
            int cut = whole.length();
            for (String stop : stops) {
                int at = whole.indexOf(stop);
                if (at >= 0) {
                    cut = Math.min(cut, at);
                }
            }
            StopStrings s = new StopStrings(stops);
            StringBuilder out = new StringBuilder();
            for (int i = 0; i < whole.length(); ) {
                int n = 1 + r.nextInt(4);
                out.append(s.push(whole.substring(i, Math.min(whole.length(), i + n))));
                i += n;
            }
            out.append(s.flush());
            assertThat(out.toString()).as(whole).isEqualTo(whole.substring(0, cut));
            assertThat(s.stopped()).isEqualTo(cut < whole.length());
        }
    }

    @Test
    void emptyStopStringsAreRefused() {
        assertThatThrownBy(() -> new StopStrings(List.of(""))).isInstanceOf(TesseraException.InvalidInput.class);
    }
}
