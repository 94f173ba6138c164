package dev.tessera.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {

    /** Every index once, chunks on multiples of align, never more calls at once than threads. */
    @Test
    void chunksCoverTheRangeOnceOnAlignedBoundaries() {
        for (int threads : new int[] {1, 2, 3}) {
            try (WorkerPool pool = new WorkerPool(threads)) {
                for (int n : new int[] {1, 7, 8, 9, 64, 1000, 4099}) {
                    for (int align : new int[] {1, 4, 8}) {
                        AtomicIntegerArray seen = new AtomicIntegerArray(n);
                        AtomicInteger running = new AtomicInteger();
                        AtomicInteger maxRunning = new AtomicInteger();
                        AtomicInteger calls = new AtomicInteger();
                        pool.forRange(n, align, (from, to) -> {
                            int now = running.incrementAndGet();
                            maxRunning.accumulateAndGet(now, Math::max);
                            calls.incrementAndGet();
                            assertThat(from % align).as("chunk start").isZero();
                            assertThat(to == n || to % align == 0).as("chunk end %d", to).isTrue();
                            for (int i = from; i < to; i++) {
                                seen.incrementAndGet(i);
                            }
                            Thread.onSpinWait();
                            running.decrementAndGet();
                        });
                        for (int i = 0; i < n; i++) {
                            assertThat(seen.get(i)).as("threads %d n %d align %d index %d", threads, n, align, i).isEqualTo(1);
                        }
                        assertThat(maxRunning.get()).isLessThanOrEqualTo(threads);
                        if (threads > 1 && n >= 64 * align) {
                            assertThat(calls.get()).as("several chunks per thread").isGreaterThan(threads);
                        }
                    }
                }
            }
        }
    }

    /** Guided chunks: in range order they never grow (but for the remainder), and the section ends on small ones. */
    @Test
    void chunksShrinkTowardsTheEndOfTheRange() {
        try (WorkerPool pool = new WorkerPool(2)) {
            int n = 4096;
            ConcurrentSkipListMap<Integer, Integer> chunks = new ConcurrentSkipListMap<>();
            pool.forRange(n, 8, (from, to) -> chunks.put(from, to - from));
            int previous = Integer.MAX_VALUE;
            int covered = 0;
            for (var e : chunks.entrySet()) {
                assertThat(e.getKey()).isEqualTo(covered);
                assertThat(e.getValue()).as("chunk at %d", e.getKey()).isLessThanOrEqualTo(previous);
                previous = e.getValue();
                covered += e.getValue();
            }
            assertThat(covered).isEqualTo(n);
            assertThat(chunks.firstEntry().getValue()).as("first chunk: a quarter of the range").isEqualTo(n / 4);
            assertThat(chunks.lastEntry().getValue()).as("last chunk").isLessThanOrEqualTo(n / 64);
        }
    }

    @Test
    void aFailingChunkReachesTheCallerAndThePoolStaysUsable() {
        try (WorkerPool pool = new WorkerPool(2)) {
            assertThatThrownBy(() -> pool.forRange(1000, (from, to) -> {
                if (from <= 500 && 500 < to) {
                    throw new IllegalStateException("boom at " + from);
                }
            })).isInstanceOf(IllegalStateException.class).hasMessageStartingWith("boom");
            AtomicInteger sum = new AtomicInteger();
            pool.forRange(100, (from, to) -> sum.addAndGet(to - from));
            assertThat(sum.get()).isEqualTo(100);
        }
    }
}
