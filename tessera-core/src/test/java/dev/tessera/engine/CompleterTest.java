package dev.tessera.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.TesseraException;
import dev.tessera.model.LoadOptions;
import dev.tessera.model.Model;
import dev.tessera.model.Models;
import dev.tessera.testing.TinyChatModel;
import dev.tessera.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Text generation over a tiny random model with the real Qwen3 tokenizer. */
@org.junit.jupiter.api.Timeout(120)
class CompleterTest {
    @TempDir
    static Path dir;
    static Model model;
    static Tokenizer tokenizer;

    @BeforeAll
    static void load() {
        Path checkpoint = TinyChatModel.write(dir);
        model = Models.load(checkpoint.toString(), LoadOptions.defaults().withThreads(1));
        tokenizer = Tokenizer.load(checkpoint);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** The greedy ids a plain session gives, for comparison. */
    static int[] greedyIds(int[] prompt, int n) {
        Session s = new Session(model, 128);
        Generator g = new Generator(s, Sampler.greedy(), null);
        return g.generate(prompt, n, null).generated();
    }

    @Test
    void greedyTextIsTheDecodedGreedyIdsAndStreamsInPieces() {
        int[] prompt = tokenizer.encode("Once upon a time", true);
        Completer c = new Completer(model, tokenizer, 4, id -> false);
        List<String> pieces = new ArrayList<>();
        Completer.Result r = c.complete(prompt, Completer.Params.greedy(12), pieces::add);
        assertThat(r.completionTokens()).isEqualTo(12);
        assertThat(r.finish()).isEqualTo(Completer.Finish.LENGTH);
        assertThat(r.text()).isEqualTo(tokenizer.decode(greedyIds(prompt, 12), true));
        assertThat(String.join("", pieces)).isEqualTo(r.text());
    }

    @Test
    void anEndOfSequenceTokenStopsWithoutItsText() {
        int[] prompt = tokenizer.encode("Once upon a time", true);
        int[] ids = greedyIds(prompt, 6);
        int eos = ids[3];
        int firstAt = 0;
        while (ids[firstAt] != eos) {
            firstAt++;
        }
        Completer c = new Completer(model, tokenizer, 128, id -> id == eos);
        Completer.Result r = c.complete(prompt, Completer.Params.greedy(6), piece -> true);
        assertThat(r.finish()).isEqualTo(Completer.Finish.STOP);
        assertThat(r.completionTokens()).isEqualTo(firstAt + 1);
        assertThat(r.text()).isEqualTo(tokenizer.decode(Arrays.copyOf(ids, firstAt), true));
    }

    @Test
    void aRefusingSinkCancelsAndTheStateStaysUsable() {
        int[] prompt = tokenizer.encode("Once upon a time", true);
        Completer c = new Completer(model, tokenizer, 128, id -> false);
        int[] calls = {0};
        Completer.Result r = c.complete(prompt, Completer.Params.greedy(20), piece -> ++calls[0] < 2);
        assertThat(r.finish()).isEqualTo(Completer.Finish.CANCELLED);
        assertThat(r.completionTokens()).isLessThan(20);
        // The held tokens after a cancel are exactly what the state holds: continuing them answers as a fresh state.
        int[] generated = greedyIds(prompt, r.completionTokens());
        int[] next = Arrays.copyOf(prompt, prompt.length + r.completionTokens() - 1 + 2);
        System.arraycopy(generated, 0, next, prompt.length, r.completionTokens() - 1);
        next[next.length - 2] = 11;
        next[next.length - 1] = 12;
        Completer.Result again = c.complete(next, Completer.Params.greedy(5), piece -> true);
        assertThat(again.reusedTokens()).isEqualTo(prompt.length + r.completionTokens() - 1);
        assertThat(again.text()).isEqualTo(tokenizer.decode(greedyIds(next, 5), true));
    }

    @Test
    void continuingTheHeldTokensPrefillsOnlyTheNewOnesWithTheSameResult() {
        int[] first = tokenizer.encode("The weather today", true);
        Completer c = new Completer(model, tokenizer, 3, id -> false);
        c.complete(first, Completer.Params.greedy(4), piece -> true);
        int[] generated = greedyIds(first, 4);
        // Held: the prompt and the first three generated tokens (the fourth was sampled, never fed).
        int[] next = new int[first.length + 5];
        System.arraycopy(first, 0, next, 0, first.length);
        System.arraycopy(generated, 0, next, first.length, 3);
        next[first.length + 3] = 11;
        next[first.length + 4] = 12;
        Completer.Result r = c.complete(next, Completer.Params.greedy(5), piece -> true);
        assertThat(r.reusedTokens()).isEqualTo(first.length + 3);
        assertThat(r.text()).isEqualTo(tokenizer.decode(greedyIds(next, 5), true));
        // A prompt that does not extend them starts from a fresh state.
        Completer.Result other = c.complete(first, Completer.Params.greedy(4), piece -> true);
        assertThat(other.reusedTokens()).isZero();
        assertThat(other.text()).isEqualTo(tokenizer.decode(generated, true));
    }

    @Test
    void aPromptThatSharesOnlyTheMarkedTokensRewindsThere() {
        int[] conversation = tokenizer.encode("A long conversation so far, turn after turn.", true);
        int[] first = Arrays.copyOf(conversation, conversation.length + 2);
        first[conversation.length] = 101;  // this turn's "generation prompt"
        first[conversation.length + 1] = 102;
        Completer c = new Completer(model, tokenizer, 4, id -> false);
        c.complete(first, conversation.length, Completer.Params.greedy(3), piece -> true);
        // The next prompt repeats the conversation but renders the turn differently.
        int[] next = Arrays.copyOf(conversation, conversation.length + 3);
        next[conversation.length] = 103;
        next[conversation.length + 1] = 104;
        next[conversation.length + 2] = 105;
        Completer.Result r = c.complete(next, next.length - 1, Completer.Params.greedy(5), piece -> true);
        assertThat(r.reusedTokens()).isEqualTo(conversation.length);
        assertThat(r.text()).isEqualTo(tokenizer.decode(greedyIds(next, 5), true));
        // The new mark is at next.length - 1: a prompt sharing only the old mark's tokens starts afresh.
        Completer.Result again = c.complete(first, Completer.Params.greedy(2), piece -> true);
        assertThat(again.reusedTokens()).isZero();
        assertThat(again.text()).isEqualTo(tokenizer.decode(greedyIds(first, 2), true));
    }

    @Test
    void stopStringsEndTheReplyBeforeThem() {
        int[] prompt = tokenizer.encode("Once upon a time", true);
        String whole = tokenizer.decode(greedyIds(prompt, 12), true);
        assertThat(whole.length()).isGreaterThan(4);
        String stop = whole.substring(2, 4);
        Completer c = new Completer(model, tokenizer, 128, id -> false);
        StringBuilder streamed = new StringBuilder();
        Completer.Result r = c.complete(prompt, new Completer.Params(12, 0, 0, 1, 0, 0, List.of(stop), true), piece -> {
            streamed.append(piece);
            return true;
        });
        assertThat(r.finish()).isEqualTo(Completer.Finish.STOP);
        assertThat(r.text()).isEqualTo(whole.substring(0, whole.indexOf(stop))).isEqualTo(streamed.toString());
    }

    @Test
    void theSamePromptAgainNeedsNoPrefillAndOneTokenBudgetsWork() {
        int[] prompt = tokenizer.encode("Once upon a time", true);
        Completer c = new Completer(model, tokenizer, 128, id -> false);
        Completer.Result one = c.complete(prompt, Completer.Params.greedy(1), piece -> true);
        assertThat(one.completionTokens()).isEqualTo(1);
        assertThat(one.finish()).isEqualTo(Completer.Finish.LENGTH);
        Completer.Result again = c.complete(prompt, Completer.Params.greedy(4), piece -> true);
        assertThat(again.reusedTokens()).isEqualTo(prompt.length);
        assertThat(again.text()).isEqualTo(tokenizer.decode(greedyIds(prompt, 4), true));
    }

    @Test
    void closingStopsAndRefusesGenerations() throws Exception {
        Completer c = new Completer(model, tokenizer, 128, id -> false);
        java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
        Completer.Result[] result = new Completer.Result[1];
        Thread t = new Thread(() -> result[0] = c.complete(tokenizer.encode("Once upon a time", true), Completer.Params.greedy(400),
                piece -> {
                    started.countDown();
                    return true;
                }));
        t.start();
        started.await();
        c.close();
        t.join();
        assertThat(result[0].finish()).isEqualTo(Completer.Finish.CANCELLED);
        assertThatThrownBy(() -> c.complete(new int[] {1}, Completer.Params.greedy(1), p -> true)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void badPromptsAreClearErrors() {
        Completer c = new Completer(model, tokenizer, 128, id -> false);
        assertThatThrownBy(() -> c.complete(new int[0], Completer.Params.greedy(1), p -> true))
                .isInstanceOf(TesseraException.InvalidInput.class).hasMessageContaining("empty");
        assertThatThrownBy(() -> c.complete(new int[] {1, -3}, Completer.Params.greedy(1), p -> true))
                .isInstanceOf(TesseraException.InvalidInput.class).hasMessageContaining("-3");
        int[] tooLong = new int[model.info().contextLength()];
        assertThatThrownBy(() -> c.complete(tooLong, Completer.Params.greedy(1), p -> true))
                .isInstanceOf(TesseraException.ContextOverflow.class).hasMessageContaining("context");
        // The context caps generation: it ends with LENGTH, not an error.
        int[] nearlyFull = new int[model.info().contextLength() - 2];
        Completer.Result r = c.complete(nearlyFull, Completer.Params.greedy(10), p -> true);
        assertThat(r.finish()).isEqualTo(Completer.Finish.LENGTH);
        assertThat(r.completionTokens()).isEqualTo(3);
    }
}
